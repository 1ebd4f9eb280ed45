"""The staff page "Where ETAs slip": weekly changes by production line, the orders that moved most."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from history.admin import slippage_chart
from history.models import EtaChange
from history.recording import eta_record_fetch
from history.selectors import slippage
from tests.conftest import as_user, elements, order_line

NOW = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)  # Monday 23 Nov, 11 am in Sydney
URL = "/admin/history/ordereta/slippage/"

pytestmark = pytest.mark.django_db


def fetch(rows, at):
    eta_record_fetch(
        key="DD:customer:Northside", instance="DD", name="Northside", is_group=False, rows=rows, fetched_at=at
    )


@pytest.fixture
def moves(customer):
    """Two orders: one slips twice (+7, +3 days), one comes forward (-2) in another week."""
    roller = {"ProductionLine": "Roller Blinds", "Customer": "Northside Window Co"}
    curtain = {"RefNo": "600", "ProductionLine": "Curtains", "Customer": "Northside Window Co"}
    fetch([order_line(**roller), order_line(**curtain)], NOW - timedelta(days=20))
    fetch([order_line(**roller, DateScheduled="2026-12-15"), order_line(**curtain)], NOW - timedelta(days=6))
    fetch(
        [order_line(**roller, DateScheduled="2026-12-18"), order_line(**curtain, DateScheduled="2026-12-06")],
        NOW - timedelta(hours=1),
    )


@time_machine.travel(NOW, tick=False)
def test_changes_are_counted_per_week_and_line_with_the_average_days(moves):
    data = slippage()
    assert len(data.weeks) == 12 and data.weeks[-1].start == date(2026, 11, 23)
    this_week, last_week = data.weeks[-1], data.weeks[-2]
    assert this_week.counts == {"Roller Blinds": 1, "Curtains": 1} and this_week.average_days == 0.5
    assert last_week.counts == {"Roller Blinds": 1} and last_week.average_days == 7
    assert data.lines[0] == "Roller Blinds"
    assert [(o.ref_no, o.days_moved) for o in data.most_moved] == [("512877", 10)]  # brought forward is not slipping
    assert slippage(production_line="Curtains").weeks[-2].total == 0
    assert slippage(instance="CBR").weeks[-1].total == 0


@time_machine.travel(NOW, tick=False)
def test_the_chart_draws_one_bar_segment_per_week_and_line(moves):
    chart = slippage_chart(slippage())
    assert len(chart["bars"]) == 3 and chart["tallest"] == 2
    assert all(bar["height"] > 0 and bar["y"] + bar["height"] <= chart["axis_y"] + 0.1 for bar in chart["bars"])


@time_machine.travel(NOW, tick=False)
def test_a_user_role_sees_the_chart_and_the_orders_linked_to_their_customer(client, personas, moves, customer):
    page = as_user(personas["bob"]).get(URL)
    assert page.status_code == 200
    html = page.content.decode()
    assert len([rect for rect in elements(html, "rect") if "data-bar" in rect]) == 3
    links = [a["href"] for a in elements(html, "a")]
    assert f"/admin/customers/customer/{customer.pk}/change/" in links
    assert EtaChange.objects.count() == 3


@pytest.mark.parametrize("who", ["anonymous", "carol", "dave"])
def test_the_page_is_refused_to_anonymous_and_roleless_staff(client, personas, who):
    if who != "anonymous":
        client = as_user(personas[who])
    response = client.get(URL)
    assert response.status_code in (302, 403)
    if response.status_code == 302:
        assert "/login/" in response["Location"]


def test_order_history_is_read_only_in_the_admin(client, personas, moves):
    client = as_user(personas["bob"])
    order = EtaChange.objects.first().order
    page = client.get(f"/admin/history/ordereta/{order.pk}/change/")
    assert page.status_code == 200 and "Dec 2026" in page.content.decode()
    assert client.post(f"/admin/history/ordereta/{order.pk}/delete/", {"post": "yes"}).status_code == 403
