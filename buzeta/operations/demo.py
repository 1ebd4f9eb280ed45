"""The demo `make run` shows: customers and status names that match the built-in simulator's data.

Kept with the operator's tools (`seed_demo`), not in the apps' services: nothing in production uses it.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from django.db import transaction

from audit.services import Actor
from customers.models import Customer
from customers.services import customer_create
from history.importing import ImportResult, eta_history_import
from odata.simulator.dataset import CUSTOMERS
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


# Six months of finished orders for the demo's forecasts and reliability page: how many days after
# the first promise each production line's orders were done (mean, spread), as a factory's might be.
DEMO_SLIP_PROFILES = {
    "Roller Blinds": (1.0, 3.0),
    "Venetians": (-2.0, 2.0),  # usually early: no "likely by" (8 in 10 done by the first date)
    "Curtains": (2.0, 4.0),
    "Roman Blinds": (3.0, 4.0),
    "Shutters": (5.0, 6.0),  # imported panels: the latest and least predictable
    "Awnings": (2.0, 5.0),
    "Verticals": (0.5, 3.0),
}
DEMO_HISTORY_SEED = 20260607
DEMO_ACCOUNTS = {"DESDR": "DD", "WATSO": "CBR"}


def demo_history_rows(*, today: date, days: int = 182, per_line_per_week: int = 3) -> list[dict[str, str]]:
    """Finished orders done over the `days` before `today`, as import_eta_history reads them."""
    rng = random.Random(DEMO_HISTORY_SEED)
    customers = {
        instance: sorted(name for name, accounts in CUSTOMERS.items() if account in accounts)
        for account, instance in DEMO_ACCOUNTS.items()
    }
    rows, ref_no = [], 480000
    for instance, names in customers.items():
        for line, (mean, spread) in DEMO_SLIP_PROFILES.items():
            for _ in range(days * per_line_per_week // 7):
                done = today - timedelta(days=rng.randint(1, days))
                slip = round(rng.gauss(mean, spread))
                ref_no += 1
                rows.append({
                    "Instance": instance, "RefNo": str(ref_no), "ProductionLine": line,
                    "FirstPromised": (done - timedelta(days=slip)).isoformat(), "Done": done.isoformat(),
                    "Customer": rng.choice(names),
                })  # fmt: skip
    return rows


def history_seed_demo(*, actor: Actor, today: date) -> ImportResult:
    """The demo's past finished orders, through the same import operators use (idempotent)."""
    rows = demo_history_rows(today=today)
    return eta_history_import(enumerate(rows, start=2), actor=actor, source="the demo", today=today)
