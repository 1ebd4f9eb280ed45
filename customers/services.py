from __future__ import annotations

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


def customer_record_view(*, customer: Customer) -> None:
    # One UPDATE, no read-modify-write: concurrent views all count.
    Customer.objects.filter(pk=customer.pk).update(view_count=F("view_count") + 1, last_viewed_at=timezone.now())


CUSTOMER_FIELDS = ("display_name", "dd_name", "cbr_name", "field_type", "obfuscated_id")


def _validate(customer: Customer) -> None:
    from django.core.exceptions import ValidationError

    customer.full_clean()
    clash = Customer.objects.filter(display_name__iexact=customer.display_name).exclude(pk=customer.pk)
    if clash.exists():
        raise ValidationError({"display_name": ["A customer with this name already exists."]})


@transaction.atomic
def customer_create(**fields) -> Customer:
    """A new customer from plain data; raises ValidationError with per-field messages."""
    customer = Customer(**{k: v for k, v in fields.items() if k in CUSTOMER_FIELDS and v is not None})
    _validate(customer)
    customer.save()
    return customer


@transaction.atomic
def customer_update(*, customer: Customer, **changes) -> Customer:
    for key, value in changes.items():
        if key in CUSTOMER_FIELDS and key != "obfuscated_id":
            setattr(customer, key, value)
    _validate(customer)
    customer.save()
    return customer
