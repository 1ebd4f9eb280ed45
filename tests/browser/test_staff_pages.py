"""Staff pages in Chromium at 1280 px: the day's list (and its one-click fix, a real form POST), every admin list
without a sideways scroll, and axe-core finding nothing on the pages we own."""

from __future__ import annotations

from datetime import timedelta

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib import admin
from django.utils import timezone

from customers.models import Customer
from history.models import OrderEta
from lib.clock import business_today
from notifications.models import Delivery, Subscription
from odata.services import cache_fetch
from odata.targets import FetchTarget
from tests.browser.test_customer_summary import shoot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def desktop(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.width_name = "desktop"
    yield page
    context.close()


def sign_in(page, live_server, client, user) -> None:
    client.force_login(user)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )


@pytest.fixture
def a_day_of_work(simulator):
    """Customers fetched from the simulator (one misspelt), history with late and moved orders, e-mails."""
    northside = Customer.objects.create(display_name="Northside Window Co", dd_name="Northside Window Co")
    misspelt = Customer.objects.create(display_name="Sunset", dd_name="Sunset Shade Solutons")
    for name in ("Northside Window Co", "Sunset Shade Solutions", "Sunset Shade Solutons"):
        cache_fetch(FetchTarget("DD", name, False))
    today = business_today()
    late = OrderEta.objects.filter(customer_name="Northside Window Co").first()
    OrderEta.objects.filter(pk=late.pk).update(current_eta=today - timedelta(days=2))
    subscription = Subscription.objects.create(customer=northside, email="ann@builder.example",
                                               confirmed_at=timezone.now())  # fmt: skip
    Delivery.objects.create(subscription=subscription, kind=Delivery.ALERT, period="1-2", status=Delivery.FAILED,
                            error="Recipient refused: 550 5.1.1 no such user")  # fmt: skip
    return northside, misspelt


def nothing_scrolls_sideways(page) -> None:
    widths = page.evaluate(
        """() => [...document.querySelectorAll('.results, .table-scroll'), document.documentElement]
                 .map(el => [el.className || 'page', el.scrollWidth, el.clientWidth])"""
    )
    assert all(scroll <= client + 1 for _, scroll, client in widths), widths


def axe_finds_nothing(page) -> None:
    violations = Axe().run(page).response["violations"]
    assert violations == [], [(v["id"], v["impact"], [n["target"] for n in v["nodes"][:3]]) for v in violations]


def test_the_day_as_role_user_and_its_one_click_name_fix(desktop, live_server, client, personas, a_day_of_work):
    _, misspelt = a_day_of_work
    sign_in(desktop, live_server, client, personas["bob"])
    desktop.goto(f"{live_server.url}/admin/")
    desktop.get_by_role("link", name="Today: late, moved and unscheduled orders, customers to check, e-mails").click()
    desktop.get_by_role("heading", name="Customers to check").wait_for()
    late = OrderEta.objects.filter(current_eta__lt=business_today()).first()
    assert int(desktop.locator('[data-count="overdue"] strong').inner_text()) >= 1
    assert f"DD {late.ref_no}" in desktop.locator("#overdue").inner_text()
    assert "550 5.1.1 no such user" in desktop.locator("#emails").inner_text()
    nothing_scrolls_sideways(desktop)
    axe_finds_nothing(desktop)
    shoot(desktop, "staff-today")

    desktop.get_by_role("button", name="Use “Sunset Shade Solutions” for DD").click()
    desktop.get_by_text("now uses “Sunset Shade Solutions” for DD").wait_for()
    assert "CSRF" not in desktop.content() and desktop.url.endswith("/staff/today")
    misspelt.refresh_from_db()
    assert misspelt.dd_name == "Sunset Shade Solutions"
    assert "Sunset" not in desktop.locator("#customers").inner_text()  # fetched at once: nothing left to fix


def test_every_admin_list_fits_1280_px_and_our_pages_pass_axe(desktop, live_server, client, personas, a_day_of_work):
    northside, _ = a_day_of_work
    sign_in(desktop, live_server, client, personas["root"])
    lists = sorted(
        f"/admin/{model._meta.app_label}/{model._meta.model_name}/" for model in admin.site._registry
    )  # fmt: skip
    for path in lists:
        desktop.goto(f"{live_server.url}{path}")
        assert desktop.locator("#changelist").count() == 1, path
        nothing_scrolls_sideways(desktop)
    ours = [
        "/admin/", "/staff/today", "/admin/customers/customer/", f"/admin/customers/customer/{northside.pk}/change/",
        "/admin/history/ordereta/", f"/admin/history/ordereta/{OrderEta.objects.first().pk}/change/",
        "/admin/history/ordereta/slippage/", "/admin/history/ordereta/reliability/",
        "/admin/notifications/subscription/", "/admin/notifications/subscription/add/",
        "/admin/statuses/statusmapping/", "/admin/audit/auditevent/", "/admin/reports/reportjob/",
        "/admin/odata/upstreamcache/",
    ]  # fmt: skip
    for path in ours:
        desktop.goto(f"{live_server.url}{path}")
        nothing_scrolls_sideways(desktop)
        axe_finds_nothing(desktop)
    # An order's raw rows: every field BuzManager has, so the table scrolls, in a labelled, focusable region.
    desktop.goto(f"{live_server.url}/jobs-schedule/DD/{OrderEta.objects.first().ref_no}")
    axe_finds_nothing(desktop)
    shoot(desktop, "customer-admin-sections")
