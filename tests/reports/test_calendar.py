"""The calendar feed (interface §13): parsed by two iCalendar parsers, and followed across a real date move."""

from __future__ import annotations

from datetime import date

import icalendar
import pytest
import vobject

from customers.models import Customer, FieldType
from history.models import OrderEta
from tests.conftest import cache_rows, counters_clear, order_line
from tests.notifications.conftest import dated_orders, fetch, move

pytestmark = pytest.mark.django_db

NORTHSIDE = "Northside Window Co"


def feed_of(client, customer, query: str = "", prefix: str = ""):
    response = client.get(f"{prefix}/{customer.obfuscated_id}/calendar.ics{query}")
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return response


def events(response) -> dict[str, icalendar.Event]:
    """The feed's events by UID, read by the icalendar library."""
    calendar = icalendar.Calendar.from_ical(response.content)
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


def second_reading(response) -> dict[str, dict]:
    """The same feed read by vobject, a parser that shares no code with the library that wrote it."""
    calendar = vobject.readOne(response.content.decode())
    return {
        event.uid.value: {
            "start": event.dtstart.value,
            "end": event.dtend.value,
            "summary": event.summary.value,
            "sequence": int(event.sequence.value),
            "url": event.url.value,
            "description": event.description.value,
        }
        for event in calendar.vevent_list
    }


@pytest.fixture
def orders(customer):
    rows = [
        order_line(RefNo="A100", DateScheduled="2026-12-10T00:00:00Z", Descn="Smith, upstairs; bed 2"),
        order_line(RefNo="A100", FixedLine=2, DateScheduled="2026-12-10T00:00:00Z", ProductionLine="Shutters"),
        order_line(RefNo="B200", DateScheduled="2026-12-15T00:00:00Z", ProductionStatus="Sewing", Descn="Jones"),
        order_line(RefNo="C300", DateScheduled=None, Descn="Not yet scheduled"),
    ]
    cache_rows(customer, rows)
    return rows


def test_one_all_day_event_per_dated_order_read_alike_by_two_parsers(client, customer, orders, settings):
    settings.BUZ_PUBLIC_URL = "https://eta.blinds.example"
    response = feed_of(client, customer)
    calendar = icalendar.Calendar.from_ical(response.content)
    assert calendar["X-PUBLISHED-TTL"].to_ical() == b"PT1H"
    assert str(calendar["VERSION"]) == "2.0" and "BuzETA" in str(calendar["PRODID"])
    assert NORTHSIDE in str(calendar["X-WR-CALNAME"])
    first = events(response)
    assert set(first) == {"dd-A100@buzeta", "dd-B200@buzeta"}  # C300 has no date

    a100 = first["dd-A100@buzeta"]
    assert a100["DTSTART"].params["VALUE"] == "DATE" and a100.decoded("DTSTART") == date(2026, 12, 10)
    assert a100.decoded("DTEND") == date(2026, 12, 11)
    assert str(a100["SUMMARY"]) == "Order A100 — Smith, upstairs; bed 2"  # escaped on the wire, whole when read
    assert int(a100["SEQUENCE"]) == 0
    assert str(a100["URL"]) == f"http://testserver/{customer.obfuscated_id}"
    description = str(a100["DESCRIPTION"])
    assert "Expected 10 Dec 2026" in description and "Roller Blind Blockout · Shutters: In Production" in description

    again = second_reading(response)
    assert set(again) == set(first)
    assert again["dd-A100@buzeta"]["start"] == date(2026, 12, 10)
    assert again["dd-A100@buzeta"]["summary"] == "Order A100 — Smith, upstairs; bed 2"
    assert again["dd-B200@buzeta"]["start"] == date(2026, 12, 15)
    assert f"/{customer.obfuscated_id}" in again["dd-B200@buzeta"]["description"]


def test_nothing_internal_reaches_the_feed(client, customer):
    cache_rows(customer, [order_line(CostPrice=88.2, Margin=61.5, Notes="internal note", PkId="pk-123")])
    body = feed_of(client, customer).content.decode()
    for secret in ("88.2", "61.5", "internal note", "pk-123"):
        assert secret not in body


def test_the_page_filters_are_honoured_and_bad_ones_refused(client, customer, orders):
    assert len(events(feed_of(client, customer, "?status=Sewing"))) == 1
    [found] = events(feed_of(client, customer, "?q=Jones")).values()
    assert str(found["SUMMARY"]) == "Order B200 — Jones"
    assert len(events(feed_of(client, customer, "?statusFilter=Sewing"))) == 1  # the old app's name
    response = client.get(f"/{customer.obfuscated_id}/calendar.ics?q=" + "x" * 500)
    assert response.status_code == 400


def test_old_style_links_unknown_customers_and_methods(client, customer, orders):
    assert len(events(feed_of(client, customer, prefix="/etas"))) == 2
    assert client.get("/AAAAAAAAAAAAAAAAAAAAAA/calendar.ics").status_code == 404
    assert client.post(f"/{customer.obfuscated_id}/calendar.ics").status_code == 405


def test_a_calendar_asking_again_with_nothing_new_gets_304(client, customer, orders):
    first = feed_of(client, customer)
    again = client.get(f"/{customer.obfuscated_id}/calendar.ics", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    other_filter = client.get(f"/{customer.obfuscated_id}/calendar.ics?status=Sewing", HTTP_IF_NONE_MATCH=first["ETag"])
    assert other_filter.status_code == 200


def test_group_customers_see_whose_order_it_is(client, make_customer):
    group = make_customer(display_name="Builders Group", dd_name="Builders Group", field_type=FieldType.CUSTOMER_GROUP)
    cache_rows(group, [order_line(RefNo="G1", Customer="Member One")])
    [event] = events(feed_of(client, group)).values()
    assert str(event["SUMMARY"]) == "Order G1 — Smith - upstairs (Member One)"


def test_rate_limited_like_the_page(client, customer, orders, settings):
    settings.RATELIMIT_ENABLE = True
    settings.RATELIMIT_PUBLIC = "3/m"
    counters_clear()
    statuses = [client.get(f"/{customer.obfuscated_id}/calendar.ics").status_code for _ in range(5)]
    assert statuses[:3] == [200, 200, 200] and statuses[3:] == [429, 429]


def test_likely_by_is_said_only_when_customers_may_see_it(client, customer, orders, settings, monkeypatch):
    settings.BUZ_PUBLIC_URL = "https://eta.blinds.example"
    from history.forecast import Basis

    def with_forecast(orders, **kwargs):
        from dataclasses import replace

        return [replace(o, likely_by=date(2026, 12, 19), forecast=Basis("DD", "Roller Blinds", 24, 9)) for o in orders]

    monkeypatch.setattr("reports.report.history_attach", with_forecast)
    description = str(events(feed_of(client, customer))["dd-A100@buzeta"]["DESCRIPTION"])
    assert "Likely by Sat 19 Dec — 8 in 10 Roller Blinds orders" in description
    settings.BUZ_FORECAST_PUBLIC = False
    body = feed_of(client, customer).content.decode()
    assert "Likely by" not in body


# --- across a real date move: the same calendar subscribed twice ---------------------------------


@pytest.fixture
def northside_live(simulator, settings) -> Customer:
    settings.BUZ_FRESH_MINUTES = 0
    customer = Customer.objects.create(display_name=NORTHSIDE, dd_name=NORTHSIDE)
    fetch(customer)
    return customer


def test_a_moved_date_moves_the_same_event_and_raises_its_sequence(client, northside_live, simulator):
    before = events(feed_of(client, northside_live))
    moved, kept = dated_orders()[:2]
    uid_of = {str(e["SUMMARY"]).split(" ")[1]: uid for uid, e in before.items()}
    moved_uid, kept_uid = uid_of[moved], uid_of[kept]
    was = before[moved_uid].decoded("DTSTART")

    move(simulator, moved, 5)
    fetch(northside_live)
    after = events(feed_of(client, northside_live))
    assert set(after) == set(before)  # no event added or lost: the calendar moves the one it has
    assert after[moved_uid].decoded("DTSTART") == was + (date(2000, 1, 6) - date(2000, 1, 1))
    assert int(after[moved_uid]["SEQUENCE"]) == int(before[moved_uid]["SEQUENCE"]) + 1
    assert int(after[kept_uid]["SEQUENCE"]) == int(before[kept_uid]["SEQUENCE"])
    assert "— 5 days later" in str(after[moved_uid]["DESCRIPTION"])

    move(simulator, moved, -5)  # and back: a third revision, never a lower number
    fetch(northside_live)
    back = events(feed_of(client, northside_live))
    assert back[moved_uid].decoded("DTSTART") == was
    assert int(back[moved_uid]["SEQUENCE"]) == int(before[moved_uid]["SEQUENCE"]) + 2
    record = OrderEta.objects.get(ref_no=moved)
    assert record.changes.count() == 2
