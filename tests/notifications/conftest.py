"""Real fetches from the simulator record real ETA changes; a real SMTP server receives the e-mails."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from customers.models import Customer
from history.models import OrderEta
from odata.services import cache_fetch

NORTHSIDE = "Northside Window Co"


def fetch(customer: Customer) -> None:
    """A live fetch of every account of the customer (what page, job and schedule do), recording history."""
    for target in customer.fetch_targets:
        cache_fetch(target)


def dated_orders(customer_name: str = NORTHSIDE) -> list[str]:
    orders = OrderEta.objects.open().filter(customer_name=customer_name, current_eta__isnull=False)
    return list(orders.order_by("current_eta", "ref_no").values_list("ref_no", flat=True))


def move(simulator, ref_no: str, days: int) -> None:
    """Reschedule one order in the simulator, as the factory would."""
    from odata.simulator.dataset import _shift

    for rows in simulator.dataset.jobs.values():
        for row in rows:
            if row["RefNo"] == ref_no and row["DateScheduled"]:
                row["DateScheduled"] = _shift(row["DateScheduled"], days)


def links(text: str) -> list[str]:
    return re.findall(r"https?://\S+", text)


def path_of(url: str, base: str = "https://eta.blinds.example") -> str:
    assert url.startswith(base), url
    return url.removeprefix(base)


def after_settling():
    """A moment at which every change recorded so far is due (alerts wait SETTLE for late commits)."""
    return timezone.now() + timedelta(minutes=1)


@pytest.fixture
def northside(simulator, settings, db) -> Customer:
    """Northside, with a baseline of its orders recorded by a real fetch."""
    settings.BUZ_FRESH_MINUTES = 0  # every fetch asks the simulator
    customer = Customer.objects.create(display_name=NORTHSIDE, dd_name=NORTHSIDE)
    fetch(customer)
    assert len(dated_orders()) >= 3
    return customer
