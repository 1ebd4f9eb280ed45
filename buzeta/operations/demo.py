"""The demo `make run` shows: customers and status names that match the built-in simulator's data.

Kept with the operator's tools (`seed_demo`), not in the apps' services: nothing in production uses it.
"""

from __future__ import annotations

from django.db import transaction

from audit.services import Actor
from customers.models import Customer
from customers.services import customer_create
from statuses.models import StatusMapping
from statuses.services import status_mapping_save

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
def customers_seed_demo(*, actor: Actor) -> list[tuple[Customer, bool]]:
    """Create the demo customers if missing; existing ones (and their links) are kept."""
    seeded = []
    for spec in DEMO_CUSTOMERS:
        customer = Customer.objects.filter(display_name__iexact=spec["display_name"]).first()
        created = customer is None
        if created:
            customer = customer_create(actor=actor, **spec)
        seeded.append((customer, created))
    return seeded


# The demo's renamed statuses: the simulator's factory words, as a customer would read them.
DEMO_MAPPINGS = {
    "Order Received": "Order received",
    "Awaiting Fabric": "Waiting for fabric",
    "Fabric Cut": "Fabric cut",
    "In Production": "In production",
    "Sewing": "Being sewn",
    "Assembly": "Being assembled",
    "Quality Check": "Final checks",
    "Packed": "Packed",
    "Ready for Dispatch": "Ready to deliver",
}


def statuses_seed_demo(*, actor: Actor) -> int:
    """Add the demo's mappings where missing (active); existing ones are left as staff set them."""
    known = {name.casefold() for name in StatusMapping.objects.values_list("odata_status", flat=True)}
    added = 0
    for raw, shown in DEMO_MAPPINGS.items():
        if raw.casefold() not in known:
            status_mapping_save(mapping=StatusMapping(odata_status=raw, custom_status=shown, active=True), actor=actor)
            added += 1
    return added
