"""Lookups of customers that more than one entry point makes."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.http import Http404

from customers.models import Customer
from odata.models import UpstreamCache
from odata.selectors import known_names
from odata.targets import cache_key


def customer_by_link(obfuscated_id: str) -> Customer | None:
    """The customer whose secret link id this is, or None."""
    return Customer.objects.filter(obfuscated_id=obfuscated_id).first()


def customer_or_404(obfuscated_id: str, *, message: str = "No such customer.") -> Customer:
    """The customer whose link this is; Http404 for any other id (a page, an API answer, the same rule)."""
    customer = customer_by_link(obfuscated_id)
    if customer is None:
        raise Http404(message)
    return customer


@dataclass
class FetchState:
    """What the cache says of one customer, for staff: orders, how old, how the last fetch went."""

    open_orders: int | None  # None: never fetched
    fetched_at: datetime | None  # the oldest of its accounts' copies
    problem: str  # blank when the last attempt of every account worked


def customers_fetch_state(customers: Iterable[Customer]) -> dict[int, FetchState]:
    """Each customer's FetchState, from one query on the cache (never its rows)."""
    customers = list(customers)
    keys = {c.pk: [cache_key(t) for t in c.fetch_targets] for c in customers}
    fields = ["key", "order_count", "fetched_at", "failing_since", "last_error_kind"]
    wanted = [key for customer_keys in keys.values() for key in customer_keys]
    entries = {e["key"]: e for e in UpstreamCache.objects.filter(key__in=wanted).values(*fields)}
    states = {}
    for customer in customers:
        found = [entries[k] for k in keys[customer.pk] if k in entries]
        fetched = [e for e in found if e["fetched_at"]]
        problems = sorted({e["last_error_kind"] or "failed" for e in found if e["failing_since"]})
        if len(found) < len(keys[customer.pk]):
            problems.append("not fetched yet")
        states[customer.pk] = FetchState(
            open_orders=sum(e["order_count"] for e in fetched) if fetched else None,
            fetched_at=min((e["fetched_at"] for e in fetched), default=None),
            problem=", ".join(problems),
        )
    return states


def customer_name_warnings(customer: Customer) -> list[str]:
    """Names BuzManager does not seem to know, each with the nearest names it does (from the cache).

    Silent for an account we know nothing about yet: no guess is better than a wrong one.
    """
    warnings = []
    for instance, name in customer.account_names.items():
        if not name:
            continue
        known = known_names(instance)
        pool = known.groups if customer.is_group else known.customers
        if not pool or name.casefold() in {p.casefold() for p in pool}:
            continue
        by_folded = {p.casefold(): p for p in pool}
        nearest = [by_folded[p] for p in difflib.get_close_matches(name.casefold(), by_folded, n=3, cutoff=0.6)]
        kind = "group" if customer.is_group else "name"
        hint = f" Nearest known: {', '.join(nearest)}." if nearest else " No similar name is known."
        warnings.append(
            f"{instance} {kind} “{name}” has no open orders in what BuzManager has sent us, "
            f"so this customer's page may be empty.{hint}"
        )
    return warnings
