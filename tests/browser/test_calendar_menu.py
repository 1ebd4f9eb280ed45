"""'Add to calendar' in Chromium at phone and desktop widths: the choices fit the screen, and the address
they give is a feed the running server answers, filtered like the page."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import icalendar
import pytest
import requests

from customers.models import Customer
from tests.browser.test_customer_summary import nothing_wider_than_the_viewport, open_filters, screen, shoot  # noqa: F401
from tests.conftest import cache_rows, order_line

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def customer(db, settings):
    settings.BUZ_FRESH_MINUTES = 60
    customer = Customer.objects.create(display_name="Northside Window Co", dd_name="Northside Window Co")
    cache_rows(
        customer,
        [
            order_line(RefNo="700001", DateScheduled="2026-12-10T00:00:00Z", ProductionStatus="Sewing"),
            order_line(RefNo="700002", DateScheduled="2026-12-12T00:00:00Z", ProductionStatus="Packed"),
            order_line(RefNo="700003", DateScheduled="2026-12-14T00:00:00Z", ProductionStatus="Sewing"),
        ],
    )
    return customer


def feed_events(url: str) -> list[str]:
    response = requests.get(url, timeout=30)
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/calendar")
    return sorted(str(e["SUMMARY"]) for e in icalendar.Calendar.from_ical(response.content).walk("VEVENT"))


def test_add_to_calendar_offers_a_feed_that_follows_the_filters(screen, live_server, customer):  # noqa: F811
    screen.goto(f"{live_server.url}/{customer.obfuscated_id}")
    screen.get_by_text("Add to calendar").click()
    webcal = screen.locator("[data-calendar-webcal]")
    webcal.wait_for()
    nothing_wider_than_the_viewport(screen)
    shoot(screen, "calendar-menu")
    host = urlsplit(live_server.url).netloc
    assert webcal.get_attribute("href") == f"webcal://{host}/{customer.obfuscated_id}/calendar.ics"
    google = parse_qs(urlsplit(screen.locator("[data-calendar-google]").get_attribute("href")).query)
    assert google["cid"] == [webcal.get_attribute("href")]
    feed = screen.locator("[data-calendar-feed]").input_value()
    assert feed == f"{live_server.url}/{customer.obfuscated_id}/calendar.ics"
    assert feed_events(feed) == [
        "Order 700001 — Smith - upstairs",
        "Order 700002 — Smith - upstairs",
        "Order 700003 — Smith - upstairs",
    ]

    # Filtered on the page (the results swap in place): the calendar offered is the filtered one.
    open_filters(screen)
    screen.select_option("select[name=status]", label="Sewing")
    screen.wait_for_function("() => document.querySelector('[data-calendar-feed]').value.includes('status=')")
    screen.get_by_text("Add to calendar").click()
    filtered = screen.locator("[data-calendar-feed]").input_value()
    assert feed_events(filtered) == ["Order 700001 — Smith - upstairs", "Order 700003 — Smith - upstairs"]
    assert "orders shown here" in screen.locator(".calendar-choices").inner_text()
