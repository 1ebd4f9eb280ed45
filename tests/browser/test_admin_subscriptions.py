"""Staff manage e-mail updates in the admin with a real browser: add (the address still confirms), pause."""

from __future__ import annotations

import pytest

from customers.models import Customer
from notifications.models import Subscription
from tests.browser.test_admin_tools import signed_in  # noqa: F401
from tests.browser.test_customer_summary import screen, shoot  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_add_a_subscription_which_waits_for_confirmation_then_pause_it(
    signed_in,  # noqa: F811
    live_server,
    smtp_inbox,
):
    Customer.objects.create(display_name="Northside Window Co", dd_name="Northside Window Co")
    page = signed_in
    page.goto(f"{live_server.url}/admin/notifications/subscription/add/")
    # A plain menu (select2's search box fails axe's checks; a menu of customers is read by everyone).
    page.get_by_label("Customer").select_option(label="Northside Window Co")
    page.get_by_label("Email").fill("site.office@builder.example")
    page.get_by_label("Monday digest").check()
    page.get_by_label("Alert for moves of").select_option(label="a week or more")
    page.get_by_role("button", name="Save", exact=True).click()
    page.get_by_text("A confirmation e-mail is on its way").wait_for()
    if page.width_name == "desktop":  # at 1280 px the list fits beside the sidebars, without scrolling
        scroll = page.evaluate(
            "() => { const r = document.querySelector('.results'); return [r.scrollWidth, r.clientWidth]; }"
        )
        assert scroll[0] <= scroll[1], scroll
    shoot(page, "admin-subscriptions")

    subscription = Subscription.objects.get()
    assert subscription.confirmed_at is None and subscription.added_by == "staff: bob@example.com"
    assert (subscription.min_days, subscription.later_only) == (7, False)
    assert [m["To"] for m in smtp_inbox.messages] == ["site.office@builder.example"]
    row = page.locator("#result_list tr", has_text="site.office@builder.example")
    assert "awaiting confirmation" in row.inner_text()

    row.locator("input[name=_selected_action]").check()
    page.locator("select[name=action]").select_option("pause")
    page.get_by_role("button", name="Go").click()
    page.get_by_text("Paused 1 subscription.").wait_for()
    subscription.refresh_from_db()
    assert subscription.paused_at is not None
