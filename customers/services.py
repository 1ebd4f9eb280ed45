from __future__ import annotations

from django.db import transaction

from customers.models import Customer

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
