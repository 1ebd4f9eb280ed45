"""E-mail updates in a real browser: sign up on the report page, confirm from the e-mail, get an alert, unsubscribe."""

from __future__ import annotations

import os

import pytest

from customers.models import Customer
from notifications.models import Subscription
from notifications.sending import notifications_send
from tests.browser.test_customer_summary import nothing_wider_than_the_viewport, screen, shoot  # noqa: F401
from tests.notifications.conftest import after_settling, dated_orders, fetch, links, move

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def northside(simulator, settings):
    settings.BUZ_FRESH_MINUTES = 0
    customer = Customer.objects.create(display_name="Northside Window Co", dd_name="Northside Window Co")
    fetch(customer)
    settings.BUZ_FRESH_MINUTES = 60  # the page shows what was just fetched
    return customer


def show_email(page, html: str) -> None:
    """The e-mail's HTML as a mail client renders it: on a blank page, not under our site's CSP."""
    page.goto("about:blank")
    page.set_content(html)


def link_in(inbox, message, part: str) -> str:
    return next(link for link in links(inbox.text(message)) if part in link)


def test_subscribe_confirm_receive_an_alert_and_unsubscribe(
    screen,  # noqa: F811
    live_server,
    northside,
    simulator,
    smtp_inbox,
    settings,
):
    settings.BUZ_PUBLIC_URL = live_server.url
    address = f"ann.{screen.width_name}@builder.example"
    screen.goto(f"{live_server.url}/{northside.obfuscated_id}")
    screen.get_by_text("Get e-mail updates").click()
    screen.get_by_label("Your e-mail address").fill("not an address")
    screen.get_by_role("button", name="Sign up").click()
    # The browser's own check stops a malformed address before it is sent.
    assert screen.url.endswith(f"/{northside.obfuscated_id}") and not smtp_inbox.messages
    screen.get_by_label("Your e-mail address").fill(address)
    screen.get_by_label("Every Monday: what is due in the next two weeks").check()
    screen.get_by_label("For moves of").select_option(label="a week or more")
    shoot(screen, "subscribe-form")
    if folder := os.environ.get("BUZETA_SCREENSHOTS"):
        screen.locator("[data-subscribe-panel]").screenshot(path=f"{folder}/subscribe-panel-{screen.width_name}.png")
    screen.get_by_role("button", name="Sign up").click()
    screen.get_by_role("heading", name="Check your inbox").wait_for()
    nothing_wider_than_the_viewport(screen)
    shoot(screen, "subscribe-sent")

    [confirmation] = smtp_inbox.to(address)
    show_email(screen, smtp_inbox.html(confirmation))
    shoot(screen, "email-confirm")
    screen.goto(link_in(smtp_inbox, confirmation, "/confirm/"))
    screen.get_by_role("button", name="Confirm").click()
    screen.get_by_role("heading", name="You're signed up").wait_for()
    subscription = Subscription.objects.get()
    assert subscription.confirmed_at and subscription.alerts and subscription.digest
    assert (subscription.min_days, subscription.later_only) == (7, False)

    move(simulator, dated_orders()[0], 7)
    settings.BUZ_FRESH_MINUTES = 0
    fetch(northside)
    notifications_send(now=after_settling())
    alert = smtp_inbox.to(address)[-1]
    show_email(screen, smtp_inbox.html(alert))
    assert "Moved from " in screen.locator("body").inner_text()
    nothing_wider_than_the_viewport(screen)
    shoot(screen, "email-alert")

    screen.goto(link_in(smtp_inbox, alert, "/unsubscribe/"))
    screen.get_by_role("button", name="Unsubscribe").click()
    screen.get_by_role("heading", name="You're unsubscribed").wait_for()
    shoot(screen, "unsubscribed")
    assert not Subscription.objects.exists()


def test_a_server_side_form_error_is_shown_next_to_the_field(screen, live_server, northside, smtp_inbox):  # noqa: F811
    screen.goto(f"{live_server.url}/{northside.obfuscated_id}")
    screen.get_by_text("Get e-mail updates").click()
    screen.get_by_label("Your e-mail address").fill("ann@builder.example")
    screen.get_by_label("When a date changes").uncheck()
    screen.get_by_role("button", name="Sign up").click()
    screen.get_by_text("Choose at least one kind of e-mail.").wait_for()
    assert screen.get_by_label("Your e-mail address").input_value() == "ann@builder.example"  # nothing lost
    shoot(screen, "subscribe-error")
    assert not Subscription.objects.exists()
