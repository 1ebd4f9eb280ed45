"""What a customer's admin page shows below its form: what the floors above customers know of it."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from customers.models import Customer
from customers.selectors import customers_fetch_state
from history.admin import reliability_chart
from history.reliability import promise_reliability
from history.selectors import customer_orders, eta_changes_for_customer
from notifications.models import Delivery, masked_address

SHOWN = 20  # the latest e-mails and moves listed


def customer_sections(customer: Customer) -> dict:
    """The page's sections as template context: open orders (counted as the customer's page counts
    them), subscribers (addresses masked), the e-mails sent (kept after an unsubscribe), the orders
    whose date moved lately, and how its promises held."""
    state = customers_fetch_state([customer])[customer.pk]
    subscribers = [
        {"address": masked_address(s.email), "subscription": s} for s in customer.subscriptions.order_by("created_at")
    ]
    since = timezone.now() - timedelta(days=settings.BUZ_ETA_CHANGE_DAYS)
    moves = list(eta_changes_for_customer(customer, since=since)[:SHOWN])
    emails = Delivery.objects.filter(customer=customer).order_by("-created_at", "-id")
    reliability = promise_reliability(orders=customer_orders(customer))
    return {
        "fetch_state": state,
        "subscribers": subscribers,
        "emails": list(emails[:SHOWN]),
        "email_count": emails.count(),
        "moves": moves,
        "move_days": settings.BUZ_ETA_CHANGE_DAYS,
        "reliability": {"data": reliability, "chart": reliability_chart(reliability)},
    }
