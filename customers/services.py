from __future__ import annotations

import atexit
import threading
import time

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from customers.models import Customer, new_obfuscated_id

# Customers of the built-in simulator's data set, for demos.
DEMO_CUSTOMERS = [
    {"display_name": "Northside Window Co", "dd_name": "Northside Window Co", "cbr_name": ""},
    {
        "display_name": "Sunset Shade Solutions",
        "dd_name": "Sunset Shade Solutions",
        "cbr_name": "Sunset Shade Solutions",
    },
    {
        "display_name": "Coastal Living Group",
        "dd_name": "Coastal Living Group",
        "cbr_name": "Coastal Living Group",
        "field_type": Customer.CUSTOMER_GROUP,
    },
    {"display_name": "O'Brien's Curtains", "dd_name": "O'Brien's Curtains", "cbr_name": ""},
]


@transaction.atomic
def customers_seed_demo() -> list[tuple[Customer, bool]]:
    """Create the demo customers if missing; existing ones (and their links) are kept."""
    seeded = []
    for spec in DEMO_CUSTOMERS:
        defaults = {k: v for k, v in spec.items() if k != "display_name"}
        customer, created = Customer.objects.get_or_create(display_name=spec["display_name"], defaults=defaults)
        seeded.append((customer, created))
    return seeded


def customer_regenerate_link(*, customer: Customer) -> str:
    """Give the customer a new secret link; the old one stops working at once."""
    customer.obfuscated_id = new_obfuscated_id()
    customer.save(update_fields=["obfuscated_id", "updated_at"])
    return customer.obfuscated_id


_pending_views: dict[int, int] = {}
_pending_lock = threading.Lock()
_last_flush = time.monotonic()


def customer_record_view(*, customer_id: int) -> None:
    """Count a view; written in batches (VIEW_COUNT_FLUSH_SECONDS), not one UPDATE per page view.

    A popular link must not turn every view into a database write. Counts of a
    process that dies before its next flush are lost; clean exits flush.
    """
    global _last_flush
    with _pending_lock:
        _pending_views[customer_id] = _pending_views.get(customer_id, 0) + 1
        due = time.monotonic() - _last_flush >= settings.VIEW_COUNT_FLUSH_SECONDS
    if due:
        customer_views_flush()


def customer_views_flush() -> None:
    global _last_flush
    with _pending_lock:
        pending = dict(_pending_views)
        _pending_views.clear()
        _last_flush = time.monotonic()
    now = timezone.now()
    for customer_id, count in pending.items():
        # F() increments: other processes' flushes add up instead of overwriting.
        Customer.objects.filter(pk=customer_id).update(view_count=F("view_count") + count, last_viewed_at=now)


atexit.register(lambda: _pending_views and customer_views_flush())


CUSTOMER_FIELDS = ("display_name", "dd_name", "cbr_name", "field_type", "obfuscated_id")


@transaction.atomic
def customer_create(**fields) -> Customer:
    """A new customer from plain data; raises ValidationError with per-field messages."""
    customer = Customer(**{k: v for k, v in fields.items() if k in CUSTOMER_FIELDS and v is not None})
    customer.full_clean()
    customer.save()
    return customer


@transaction.atomic
def customer_update(*, customer: Customer, **changes) -> Customer:
    """Change a customer's names or type (never its link: see customer_regenerate_link)."""
    for key, value in changes.items():
        if key in CUSTOMER_FIELDS and key != "obfuscated_id":
            setattr(customer, key, value)
    customer.full_clean()
    customer.save()
    return customer


def customer_delete(*, customer: Customer) -> None:
    """Remove a customer: its link stops working and its report jobs go with it."""
    customer.delete()


def customer_free_display_name(name: str, *, exclude_pk: int | None = None) -> str:
    """`name`, or `name (2)`, `name (3)`… — the first no other customer has, compared case-insensitively."""
    taken = {
        other.lower()
        for other in Customer.objects.exclude(pk=exclude_pk).values_list("display_name", flat=True)
        if other.lower().startswith(name.lower())
    }
    candidate, number = name, 1
    while candidate.lower() in taken:
        number += 1
        suffix = f" ({number})"
        candidate = name[: 200 - len(suffix)] + suffix
    return candidate
