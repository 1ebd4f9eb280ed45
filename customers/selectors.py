"""Lookups of customers that more than one entry point makes."""

from __future__ import annotations

from customers.models import Customer


def customer_by_link(obfuscated_id: str) -> Customer | None:
    """The customer whose secret link id this is, or None."""
    return Customer.objects.filter(obfuscated_id=obfuscated_id).first()
