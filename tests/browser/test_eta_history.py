"""ETA history in a real browser: a customer filters to moved orders; staff see where dates slip."""

from __future__ import annotations

import re

import pytest

from customers.models import Customer
from history.models import EtaChange, OrderEta
from odata.services import cache_fetch
from odata.targets import FetchTarget
from tests.browser.test_customer_summary import (  # noqa: F401
    nothing_wider_than_the_viewport,
    open_filters,
    screen,
    shoot,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def moved(simulator, settings):
    """Northside seen twice through real fetches, with one order moved later and one brought forward between."""
    customer = Customer.objects.create(display_name="Northside Window Co", dd_name="Northside Window Co")
    settings.BUZ_FRESH_MINUTES = 0
    target = FetchTarget("DD", "Northside Window Co", False)
    cache_fetch(target)
    rows = simulator.dataset.jobs["DESDR"]
    dated = [o.ref_no for o in OrderEta.objects.open().filter(current_eta__isnull=False).order_by("current_eta")]
    for ref, days in zip(dated[:2], (7, -2), strict=True):
        for row in rows:
            if row["RefNo"] == ref and row["DateScheduled"]:
                row["DateScheduled"] = shift(row["DateScheduled"], days)
    cache_fetch(target)
    settings.BUZ_FRESH_MINUTES = 60  # the page is served from what was just fetched
    assert EtaChange.objects.count() == 2
    return customer, dated[:2]


def shift(stamp: str, days: int) -> str:
    from odata.simulator.dataset import _shift

    return _shift(stamp, days)


def test_a_customer_sees_what_moved_and_filters_to_it(screen, live_server, moved):  # noqa: F811
    customer, refs = moved
    screen.goto(f"{live_server.url}/{customer.obfuscated_id}")
    moves = screen.locator("[data-moves]")
    assert re.match(
        r"2 orders have a new date (in the last 14 days|since we started tracking on \d+ \w{3} \d{4})$",
        moves.inner_text(),
    )
    shoot(screen, "moved")

    open_filters(screen)
    screen.get_by_label("New date recently").check()
    screen.wait_for_function("() => location.search.includes('changed=recent')")
    screen.locator("[data-count=orders]").filter(has_text=re.compile(r"^2$")).wait_for()
    shown = screen.locator("details.order .order-no").all_inner_texts()
    assert sorted(shown) == sorted(f"Order {ref}" for ref in refs)
    said = screen.locator("[data-moved]").all_inner_texts()
    assert any(text.startswith("Moved from ") for text in said)
    assert any(text.startswith("Brought forward from ") for text in said)
    nothing_wider_than_the_viewport(screen)
    shoot(screen, "moved-filtered")

    screen.get_by_label("New date recently").uncheck()
    screen.wait_for_function("() => !location.search.includes('changed')")
    assert screen.locator("details.order").count() > 2


def test_staff_with_the_user_role_see_the_slippage_chart(screen, live_server, moved, personas, client):  # noqa: F811
    # Passwords are for superusers only (staff use Google): bob's session is made here and handed to Chromium.
    client.force_login(personas["bob"])
    session = client.cookies["sessionid"].value
    screen.context.add_cookies([{"name": "sessionid", "value": session, "url": live_server.url}])
    screen.goto(f"{live_server.url}/admin/history/ordereta/slippage/")
    screen.get_by_role("heading", name="ETA changes per week, last 12 weeks").wait_for()
    assert screen.locator("svg[data-chart] rect[data-bar]").count() >= 1
    assert screen.locator("[data-most-moved] tbody tr").count() == 1  # one moved later; the other came forward
    shoot(screen, "slippage")
