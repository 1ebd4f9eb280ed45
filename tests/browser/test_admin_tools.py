"""Staff in a real browser: the customer list fits, preview counts no view, regenerating asks first."""

from __future__ import annotations

import pytest

from customers.models import Customer
from odata.services import cache_fetch
from odata.targets import FetchTarget
from tests.browser.test_customer_summary import nothing_wider_than_the_viewport, screen, shoot  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def signed_in(screen, live_server, personas, client):  # noqa: F811
    """Chromium signed in as bob (role `user`). Staff sign in with Google; the session is made here."""
    client.force_login(personas["bob"])
    screen.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    return screen


@pytest.fixture
def northside(simulator):
    customer = Customer.objects.create(display_name="Northside Window Co", dd_name="Northside Window Co")
    cache_fetch(FetchTarget("DD", "Northside Window Co", False))
    Customer.objects.create(
        display_name="Coastal Living Group", dd_name="Coastal Living Group", field_type="Customer Group"
    )
    return customer


def test_the_customer_list_shows_fetch_state_and_fits(signed_in, live_server, northside):
    page = signed_in
    page.goto(f"{live_server.url}/admin/customers/customer/")
    row = page.locator("#result_list tr", has_text="Northside Window Co")
    assert row.locator("td.field-open_orders").inner_text().isdigit()
    assert row.locator("td.field-data").inner_text().startswith("OK")
    if page.width_name == "desktop":  # the admin is a desktop tool; at 1280 px the table fits without scrolling
        scroll = page.evaluate(
            "() => { const r = document.querySelector('.results'); return [r.scrollWidth, r.clientWidth]; }"
        )
        assert scroll[0] <= scroll[1], scroll
        assert page.locator("#result_list").get_by_role("link", name="Preview").first.is_visible()
    shoot(page, "admin-customers")


def test_preview_shows_the_page_with_a_banner_and_counts_no_view(signed_in, live_server, northside, settings):
    page = signed_in
    settings.BUZ_FRESH_MINUTES = 60
    page.goto(f"{live_server.url}/admin/customers/customer/")
    with page.context.expect_page() as opened:
        page.locator("#result_list tr", has_text="Northside Window Co").get_by_role("link", name="Preview").click()
    preview = opened.value
    preview.locator("[data-staff-preview]").wait_for()
    preview.locator("[data-next-delivery]").wait_for()
    preview.width_name = page.width_name
    shoot(preview, "admin-preview")
    northside.refresh_from_db()
    assert northside.view_count == 0


def test_regenerating_a_link_asks_first(signed_in, live_server, northside):
    page = signed_in
    old = northside.obfuscated_id
    page.goto(f"{live_server.url}/admin/customers/customer/")
    page.locator("#result_list tr", has_text="Northside Window Co").locator("input.action-select").check()
    page.locator("select[name=action]").select_option("regenerate_links")
    page.get_by_role("button", name="Go").click()
    page.locator("[data-regenerate-confirm]").wait_for()
    assert "will stop working at once" in page.locator("#content-main").inner_text()
    northside.refresh_from_db()
    assert northside.obfuscated_id == old
    shoot(page, "admin-regenerate")

    page.get_by_role("button", name="Yes, give them new links").click()
    page.get_by_text("New links for 1 customer(s)").wait_for()
    northside.refresh_from_db()
    assert northside.obfuscated_id != old


def test_staff_look_up_an_order_from_the_admin_index(signed_in, live_server, simulator):
    page = signed_in
    ref_no = simulator.dataset.jobs["DESDR"][0]["RefNo"]
    page.goto(f"{live_server.url}/admin/")
    page.get_by_label("Order number").fill(ref_no)
    page.get_by_role("button", name="Look up").click()
    page.get_by_role("heading", name=f"Jobs schedule: DD order {ref_no}").wait_for()
    assert page.url.endswith(f"/jobs-schedule/DD/{ref_no}")
    assert page.locator("#site-name").inner_text() == "BuzETA"  # the admin's look, not the customer footer
    assert page.locator("#result_list tbody tr").count() >= 1
    shoot(page, "admin-lookup")
