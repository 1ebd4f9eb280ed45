"""The customer page in Chromium: every order on paper, the answer on a phone's first screen, a visible
open/close marker, and a background refresh that changes the page in place only when the orders change."""

from __future__ import annotations

import io
import time
from datetime import date, timedelta

import pytest
from django.utils import timezone
from pypdf import PdfReader

from customers.models import Customer
from tests.conftest import cache_rows, order_line

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def forty_orders(*, first: int = 600001, count: int = 40) -> list[dict]:
    """`count` open orders of 4 to 6 lines each, dated over the next weeks."""
    rows = []
    for n in range(count):
        when = (date.today() + timedelta(days=2 + n)).isoformat()
        for line in range(1, 4 + n % 3 + 1):
            rows.append(
                order_line(RefNo=str(first + n), FixedLine=line, DateScheduled=when, Descn=f"Job {n}", Location="Bed 1")
            )
    return rows


@pytest.fixture
def big_customer(db, settings):
    settings.BUZ_FRESH_MINUTES = 60
    customer = Customer.objects.create(display_name="Northside Window Co", dd_name="Northside Window Co")
    cache_rows(customer, forty_orders())
    return customer


def all_numbers() -> list[str]:
    return [str(600001 + n) for n in range(40)]


def pdf_text(page) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(page.pdf())).pages)


def test_printing_the_page_prints_every_order_without_controls_or_sign_up(page, live_server, big_customer):
    page.goto(f"{live_server.url}/{big_customer.obfuscated_id}")
    page.emulate_media(media="print")
    printed = page.locator("body").inner_text()
    assert all(f"Order {number}" in printed for number in all_numbers())
    for hidden in ("[data-filters-panel]", "[data-subscribe-panel]", "[data-export]", "[data-print]"):
        assert not page.locator(hidden).first.is_visible(), hidden
    on_paper = pdf_text(page)
    assert all(number in on_paper for number in all_numbers())
    assert "Get e-mail updates" not in on_paper and "Download" not in on_paper


def test_the_print_control_prints_the_full_report(page, live_server, big_customer, monkeypatch):
    monkeypatch.setattr("reports.page.PAGE_MAX_ORDERS", 25)  # a page of 25: the page alone is not every order
    page.add_init_script("window.print = () => { window.__printed = (window.__printed || 0) + 1; };")
    page.goto(f"{live_server.url}/{big_customer.obfuscated_id}")
    assert page.locator("details.order").count() == 25
    page.emulate_media(media="print")
    # What the browser's own menu prints says which orders it holds, and where all of them are.
    assert "This printout holds orders 1\u201325 of 40" in page.locator("body").inner_text()
    page.emulate_media(media="screen")

    page.get_by_role("link", name="Print").click()
    page.wait_for_function("() => window.__printed === 1")
    assert page.url.startswith(f"{live_server.url}/sync/{big_customer.obfuscated_id}")
    page.emulate_media(media="print")
    on_paper = pdf_text(page)
    assert all(number in on_paper for number in all_numbers())

    page.emulate_media(media="screen")
    page.goto(f"{live_server.url}/{big_customer.obfuscated_id}")
    page.keyboard.press("Control+p")  # the usual way to print goes to every order too
    page.wait_for_function("() => window.__printed === 1 && location.pathname.startsWith('/sync/')")


def test_a_printout_past_the_bound_says_what_it_leaves_out(page, live_server, big_customer, settings):
    settings.BUZ_PRINT_MAX_ORDERS = 10
    page.goto(f"{live_server.url}/sync/{big_customer.obfuscated_id}?print=1")
    page.emulate_media(media="print")
    text = page.locator("body").inner_text()
    assert "leaves out 30" in text and "Excel" in text
    assert page.locator("details.order").count() == 10
    assert page.locator("[data-print]").count() == 1  # /sync/ without print=1 is still every order, for tools
    page.goto(f"{live_server.url}/sync/{big_customer.obfuscated_id}")
    assert page.locator("details.order").count() == 40


def test_a_phone_shows_the_next_delivery_and_the_first_order_on_the_first_screen(browser, live_server, big_customer):
    context = browser.new_context(viewport=PHONE, is_mobile=True)
    page = context.new_page()
    page.goto(f"{live_server.url}/{big_customer.obfuscated_id}")
    next_card = page.locator("[data-next-delivery]").bounding_box()
    first_order = page.locator("details.order .order-head").first.bounding_box()
    assert next_card["y"] + next_card["height"] <= PHONE["height"]
    assert first_order["y"] + first_order["height"] <= PHONE["height"], first_order
    assert "600001" in page.locator("details.order").first.inner_text()
    # Folded, not gone: the stage counts and the filters open with a tap.
    page.get_by_text("Lines by status").click()
    assert page.locator(".stages a").first.is_visible()
    page.get_by_text("Search and filter").click()
    assert page.locator("input[name=q]").is_visible()
    context.close()


def test_a_folded_order_shows_an_open_close_marker(browser, live_server, big_customer):
    context = browser.new_context(viewport=PHONE, is_mobile=True)
    page = context.new_page()
    page.goto(f"{live_server.url}/{big_customer.obfuscated_id}")
    folded = page.locator("details.order").nth(5)
    assert folded.get_attribute("open") is None
    head, marker = folded.locator(".order-head").bounding_box(), folded.locator(".toggle").bounding_box()
    assert marker and marker["width"] > 4 and marker["height"] > 4
    assert head["x"] <= marker["x"] and marker["x"] + marker["width"] <= head["x"] + head["width"]  # not clipped
    closed = folded.locator(".toggle").evaluate("el => getComputedStyle(el).transform")
    folded.locator(".order-head").click()
    assert folded.get_attribute("open") is not None
    assert folded.locator(".toggle").evaluate("el => getComputedStyle(el).transform") != closed
    context.close()


def test_the_status_column_lines_up_from_one_order_to_the_next(page, live_server, big_customer):
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/{big_customer.obfuscated_id}")
    starts = page.locator("details.order").evaluate_all(
        "orders => orders.map(o => Math.round(o.querySelector('th:last-child').getBoundingClientRect().x))"
    )
    assert len(set(starts)) == 1, starts


def test_a_filter_that_matches_nothing_shows_no_order_anywhere(page, live_server, big_customer):
    page.goto(f"{live_server.url}/{big_customer.obfuscated_id}?q=nothing-like-this")
    assert page.locator("[data-no-match]").is_visible()
    assert page.locator("[data-next-delivery]").count() == 0
    assert "Order 6000" not in page.locator("main").inner_text()


# --- a background refresh ---------------------------------------------------------------------------------


@pytest.fixture
def stale_customer(db, simulator, settings):
    """A customer whose cached copy is an hour old: the page shows it at once and refreshes behind."""
    settings.BUZ_FRESH_MINUTES = 5
    customer = Customer.objects.create(display_name="Northside Window Co", dd_name="Northside Window Co")
    return customer


def cache_as_of(customer, rows, *, minutes_ago: int) -> None:
    cache_rows(customer, rows, fetched_at=timezone.now() - timedelta(minutes=minutes_ago))


def simulator_rows(customer) -> list[dict]:
    from odata.client import get_client

    return get_client("DD").open_order_lines(customer.dd_name)


def test_a_refresh_that_changes_the_orders_updates_the_page_in_place(page, live_server, stale_customer):
    rows = simulator_rows(stale_customer)
    gone = rows[0]["RefNo"]
    cache_as_of(stale_customer, [r for r in rows if r["RefNo"] != gone], minutes_ago=60)
    page.goto(f"{live_server.url}/{stale_customer.obfuscated_id}")
    page.evaluate("() => { window.__samePage = true; }")
    assert f"Order {gone}" not in page.locator("[data-results]").inner_text()
    page.locator(f"text=Order {gone}").first.wait_for(timeout=20_000)  # the refresh brought it in
    assert page.evaluate("() => window.__samePage") is True  # in place: no reload
    assert page.locator("[data-refresh-notice]").is_hidden()
    assert "Updating" not in page.locator("body").inner_text()


def test_a_refresh_that_changes_nothing_says_nothing(page, live_server, stale_customer):
    cache_as_of(stale_customer, simulator_rows(stale_customer), minutes_ago=60)
    page.goto(f"{live_server.url}/{stale_customer.obfuscated_id}")
    before = page.locator("[data-freshness]").inner_text()
    page.wait_for_function(
        "before => document.querySelector('[data-freshness]').innerText !== before", arg=before, timeout=20_000
    )  # the time of the data moves on, quietly
    time.sleep(0.5)
    assert page.locator("[data-refresh-notice]").is_hidden()
    assert "Updating" not in page.locator("body").inner_text()


def test_a_refresh_while_the_visitor_types_is_offered_not_forced(page, live_server, stale_customer, monkeypatch):
    rows = simulator_rows(stale_customer)
    gone = rows[0]["RefNo"]
    cache_as_of(stale_customer, [r for r in rows if r["RefNo"] != gone], minutes_ago=60)
    from reports import views

    real = views.customer_page

    def slow_first(request, customer, **kwargs):  # the visitor is in the search box before the refresh lands
        if request.headers.get("Accept") == "text/html":
            time.sleep(1.5)
        return real(request, customer, **kwargs)

    monkeypatch.setattr(views, "customer_page", slow_first)
    page.goto(f"{live_server.url}/{stale_customer.obfuscated_id}")
    page.locator("input[name=q]").click()
    page.locator("[data-refresh-link]").wait_for(state="visible", timeout=20_000)
    assert "Newer orders are in" in page.locator("[data-refresh-notice]").inner_text()
    assert f"Order {gone}" not in page.locator("[data-results]").inner_text()


# --- a download of data not fetched yet -------------------------------------------------------------------


@pytest.fixture
def slow_simulator(simulator_config):
    simulator_config.latency = 1.5
    return simulator_config


def test_a_cold_download_waits_on_a_page_and_then_downloads_by_itself(
    page, live_server, slow_simulator, simulator, qcluster, settings
):
    import requests

    settings.BUZ_WEB_WAIT_SECONDS = 0.3  # less than one round trip: the file cannot be had in time
    customer = Customer.objects.create(display_name="Sunset Shade Solutions", dd_name="Sunset Shade Solutions")
    url = f"{live_server.url}/{customer.obfuscated_id}/download.csv"

    tool = requests.get(url, timeout=30)  # a tool (no HTML in its Accept): 503 and when to ask again
    assert tool.status_code == 503 and int(tool.headers["Retry-After"]) > 0

    with page.expect_download(timeout=45_000) as info:
        page.goto(url)
        assert page.locator("[data-download-url]").count() == 1  # the page that waits, not an error
    rows = info.value.path().read_text(encoding="utf-8-sig").splitlines()
    assert rows[0].startswith("RefNo,DateScheduled") and len(rows) > 1
    assert info.value.suggested_filename.startswith("Sunset-Shade-Solutions-open-orders-")
