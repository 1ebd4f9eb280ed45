"""Signing up on the customer page, confirming by e-mail, unsubscribing: through the app and a real SMTP server."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.test import Client

from audit.services import Actor
from customers.services import customer_regenerate_link
from notifications.models import Delivery, Subscription
from tests.conftest import counters_clear, elements
from tests.notifications.conftest import links, path_of

pytestmark = pytest.mark.django_db

ANN = "ann@builder.example"


def subscribe(client, customer, **data):
    data = {"email": ANN, "alerts": "on", **data}
    return client.post(f"/{customer.obfuscated_id}/subscribe", data)


def unsubscribe_link(message) -> str:
    """The URL in List-Unsubscribe (a long header is folded: its leading space is not part of it)."""
    value = str(message["List-Unsubscribe"]).strip()
    assert value.startswith("<") and value.endswith(">"), value
    return value[1:-1]


def confirmation_link(inbox, address=ANN) -> str:
    [message] = inbox.to(address)[-1:]
    return next(link for link in links(inbox.text(message)) if "/confirm/" in link)


def test_signing_up_sends_only_a_confirmation_with_both_parts_and_one_click_unsubscribe(client, customer, smtp_inbox):
    response = subscribe(client, customer, digest="on")
    assert response.status_code == 303
    assert response["Location"] == f"/{customer.obfuscated_id}/subscribe?sent=1"
    assert "Check your inbox" in client.get(response["Location"]).content.decode()

    [message] = smtp_inbox.messages
    assert message["To"] == ANN and message["From"] == "BuzETA <eta@blinds.example>"
    assert message["Subject"] == "Confirm e-mail updates for Northside Window Co's orders"
    unsubscribe = unsubscribe_link(message)
    assert unsubscribe.startswith("https://eta.blinds.example/subscriptions/unsubscribe/")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text, html = smtp_inbox.text(message), smtp_inbox.html(message)
    # Nobody has confirmed this address yet: nothing in the e-mail opens the customer's orders.
    assert customer.obfuscated_id not in message.as_string()
    assert "when an order's date changes" in text and "every Monday" in text
    assert [a["href"] for a in elements(html, "a") if "/confirm/" in a["href"]] == [confirmation_link(smtp_inbox)]
    subscription = Subscription.objects.get()
    assert subscription.confirmed_at is None and subscription.alerts and subscription.digest
    assert subscription.deliveries.get().kind == Delivery.CONFIRM


def test_following_the_confirmation_link_asks_once_more_then_confirms(client, customer, smtp_inbox):
    subscribe(client, customer)
    path = path_of(confirmation_link(smtp_inbox))
    page = client.get(path)
    assert page.status_code == 200 and "Confirm your e-mail updates" in page.content.decode()
    assert Subscription.objects.get().confirmed_at is None  # a mail scanner's GET confirms nothing

    done = client.post(path)
    assert done.status_code == 200 and "You're signed up" in done.content.decode()
    subscription = Subscription.objects.get()
    assert subscription.confirmed_at is not None and subscription.alerts and not subscription.digest
    assert len(smtp_inbox.messages) == 1  # no welcome spam


def test_the_same_address_twice_is_one_subscription_and_the_answer_does_not_tell(client, customer, smtp_inbox):
    first = subscribe(client, customer)
    second = subscribe(client, customer, email="Ann@Builder.example")
    assert (first.status_code, first["Location"]) == (second.status_code, second["Location"])
    assert Subscription.objects.count() == 1


def test_a_confirmed_address_changes_its_choices_only_through_a_new_confirmation(client, customer, smtp_inbox):
    subscribe(client, customer)
    client.post(path_of(confirmation_link(smtp_inbox)))
    subscribe(client, customer, alerts="", digest="on")
    subscription = Subscription.objects.get()
    assert (subscription.alerts, subscription.digest) == (True, False)  # not yet
    client.post(path_of(confirmation_link(smtp_inbox)))
    subscription.refresh_from_db()
    assert (subscription.alerts, subscription.digest) == (False, True)


@pytest.mark.parametrize(
    "email",
    ["not-an-address", "ann@builder.example\r\nBcc: everyone@victim.example", "ann@builder.example,bob@x.example", ""],
)
def test_a_bad_address_gets_a_clear_error_and_nothing_is_stored_or_sent(client, customer, smtp_inbox, email):
    response = subscribe(client, customer, email=email)
    assert response.status_code == 400
    page = response.content.decode()
    assert elements(page, "span", data_field_error="email")
    assert elements(page, "input", name="email", aria_invalid="true")
    assert not Subscription.objects.exists() and smtp_inbox.messages == []


def test_choosing_neither_kind_of_email_is_refused(client, customer, smtp_inbox):
    response = subscribe(client, customer, alerts="")
    assert response.status_code == 400
    assert "Choose at least one kind of e-mail." in response.content.decode()
    assert not Subscription.objects.exists()


def test_at_most_five_unconfirmed_addresses_per_customer_per_day(client, customer, smtp_inbox):
    for n in range(5):
        assert subscribe(client, customer, email=f"person{n}@builder.example").status_code == 303
    refused = subscribe(client, customer, email="sixth@builder.example")
    assert refused.status_code == 400
    assert "Too many addresses are waiting for confirmation" in refused.content.decode()
    assert Subscription.objects.count() == 5
    with time_machine.travel(timedelta(days=1, minutes=1)):
        assert subscribe(client, customer, email="sixth@builder.example").status_code == 303


def test_one_address_gets_at_most_three_confirmations_a_day(client, customer, smtp_inbox):
    for _ in range(5):
        subscribe(client, customer)
    assert len(smtp_inbox.to(ANN)) == 3


def test_the_form_needs_its_csrf_token(customer, smtp_inbox):
    browser = Client(enforce_csrf_checks=True)
    assert subscribe(browser, customer).status_code == 403
    assert not Subscription.objects.exists()


def test_sign_ups_are_rate_limited_per_ip(client, customer, smtp_inbox, settings):
    settings.RATELIMIT_ENABLE = True
    settings.RATELIMIT_SUBSCRIBE = "2/h"
    counters_clear()
    codes = [subscribe(client, customer, email=f"p{n}@builder.example").status_code for n in range(3)]
    assert codes == [303, 303, 429]
    assert Subscription.objects.count() == 2
    assert client.get(f"/{customer.obfuscated_id}/subscribe").status_code == 200  # reading the form is not limited


def test_unsubscribing_is_one_click_without_sign_in_and_deletes_the_address(client, customer, smtp_inbox):
    subscribe(client, customer)
    client.post(path_of(confirmation_link(smtp_inbox)))
    [message] = smtp_inbox.messages
    url = unsubscribe_link(message)
    # What a mail client does for RFC 8058: a POST with this body, no cookies, no CSRF token.
    mail_client = Client(enforce_csrf_checks=True)
    response = mail_client.post(
        path_of(url), "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200 and "You're unsubscribed" in response.content.decode()
    assert not Subscription.objects.exists()
    # What it was sent stays for staff, with the address masked and nothing left that names it.
    [kept] = Delivery.objects.all()
    assert (kept.subscription, kept.customer, kept.sent_to) == (None, customer, "a…@builder.example")
    assert "ann@" not in str(kept) and str(kept).startswith("Confirmation to a…@builder.example, ")
    again = mail_client.post(
        path_of(url), "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert again.status_code == 200 and "already unsubscribed" in again.content.decode()


def test_the_unsubscribe_link_shows_a_button_before_it_acts(client, customer, smtp_inbox):
    subscribe(client, customer)
    url = unsubscribe_link(smtp_inbox.messages[0])
    page = client.get(path_of(url))
    assert page.status_code == 200 and elements(page.content.decode(), "button", data_unsubscribe="button")
    assert Subscription.objects.exists()


def test_a_regenerated_customer_link_invalidates_the_links_in_sent_emails(client, customer, smtp_inbox):
    subscribe(client, customer)
    confirm = path_of(confirmation_link(smtp_inbox))
    unsubscribe = path_of(unsubscribe_link(smtp_inbox.messages[0]))
    new_id = customer_regenerate_link(customer=customer, actor=Actor.for_command("pytest"))
    assert client.post(confirm).status_code == 400 and "no longer valid" in client.post(confirm).content.decode()
    assert client.post(unsubscribe).status_code == 400
    assert new_id not in client.post(confirm).content.decode() + client.post(unsubscribe).content.decode()
    # The old token under the new link is no better: tokens are bound to the link they were made for.
    token = confirm.rsplit("/", 1)[1]
    assert client.post(f"/{new_id}/subscriptions/confirm/{token}").status_code == 400
    assert Subscription.objects.get().confirmed_at is None


def test_confirmation_links_expire_after_a_week(client, customer, smtp_inbox):
    subscribe(client, customer)
    path = path_of(confirmation_link(smtp_inbox))
    with time_machine.travel(timedelta(days=7, minutes=5)):
        response = client.post(path)
    assert response.status_code == 400 and "no longer valid" in response.content.decode()
    assert Subscription.objects.get().confirmed_at is None


def test_a_forged_or_foreign_token_is_refused(client, customer, make_customer, smtp_inbox):
    other = make_customer(display_name="Coastal Blinds", dd_name="Coastal Blinds")
    subscribe(client, customer)
    token = confirmation_link(smtp_inbox).rsplit("/", 1)[1]
    assert client.post(f"/{other.obfuscated_id}/subscriptions/confirm/{token}").status_code == 400
    assert client.post(f"/{customer.obfuscated_id}/subscriptions/confirm/{token[:-2]}xx").status_code == 400
    assert client.post(f"/{customer.obfuscated_id}/subscriptions/unsubscribe/1:forged").status_code == 400
    assert Subscription.objects.get().confirmed_at is None


def test_hostile_customer_names_are_escaped_in_html_and_kept_out_of_headers(client, make_customer, smtp_inbox):
    customer = make_customer(display_name="Evil <img src=x onerror=alert(1)>\r\nBcc: all@victim.example", dd_name="X")
    subscribe(client, customer)
    [message] = smtp_inbox.messages
    assert "\n" not in message["Subject"] and message["Bcc"] is None
    assert message["Subject"].startswith("Confirm e-mail updates for Evil <img src=x onerror=alert(1)> Bcc:")
    html = smtp_inbox.html(message)
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html


def test_the_page_offers_the_form_with_a_token_and_unknown_links_get_404(client, customer, smtp_inbox):
    page = client.get(f"/{customer.obfuscated_id}/subscribe").content.decode()
    [form] = elements(page, "form", data_subscribe="form")
    assert form["action"] == f"/{customer.obfuscated_id}/subscribe" and form["method"] == "post"
    assert elements(page, "input", name="csrfmiddlewaretoken")
    assert client.post("/AAAAAAAAAAAAAAAAAAAAAA/subscribe", {"email": ANN, "alerts": "on"}).status_code == 404
    assert client.get("/AAAAAAAAAAAAAAAAAAAAAA/subscriptions/unsubscribe/1:x").status_code == 404


def test_addresses_never_reach_the_logs(client, customer, smtp_inbox, caplog):
    caplog.set_level("DEBUG")
    subscribe(client, customer)
    client.post(path_of(confirmation_link(smtp_inbox)))
    ours = [r for r in caplog.records if r.name != "mail.log"]  # mail.log: the test's SMTP server
    assert ours and not [r for r in ours if "builder.example" in r.getMessage()]


# --- privacy: an unconfirmed address learns nothing; caps count the mailbox ------------------------------


def test_an_unconfirmed_address_reaches_nothing_that_names_the_customers_link(client, customer, smtp_inbox):
    subscribe(client, customer)
    [message] = smtp_inbox.messages
    assert customer.obfuscated_id not in message.as_string()
    confirm_path = path_of(confirmation_link(smtp_inbox))
    unsubscribe_path = path_of(unsubscribe_link(message))
    visitor = Client()  # the owner of a mistyped address, following the links in the e-mail
    for path in (confirm_path, unsubscribe_path):
        assert customer.obfuscated_id not in visitor.get(path).content.decode()
    expired = visitor.get(confirm_path.replace("/confirm/", "/confirm/9") + "x")
    assert expired.status_code == 400 and customer.obfuscated_id not in expired.content.decode()
    assert customer.obfuscated_id not in visitor.post(unsubscribe_path).content.decode()


def test_the_customers_link_comes_with_the_confirmation(client, customer, smtp_inbox):
    subscribe(client, customer)
    confirmed = Client().post(path_of(confirmation_link(smtp_inbox)))
    assert confirmed.status_code == 200
    assert f'href="/{customer.obfuscated_id}"' in confirmed.content.decode()


def test_links_sent_under_the_customers_link_still_work(client, customer, smtp_inbox):
    from notifications.links import ConfirmRequest, confirm_token, unsubscribe_token

    subscribe(client, customer)
    subscription = Subscription.objects.get()
    token = confirm_token(customer, ConfirmRequest(subscription.pk, True, False))
    assert Client().post(f"/{customer.obfuscated_id}/subscriptions/confirm/{token}").status_code == 200
    assert Subscription.objects.get().confirmed_at is not None
    old_unsubscribe = (
        f"/{customer.obfuscated_id}/subscriptions/unsubscribe/{unsubscribe_token(customer, subscription.pk)}"
    )
    assert Client().post(old_unsubscribe).status_code == 200
    assert not Subscription.objects.exists()


def test_plus_tags_do_not_multiply_the_confirmations_one_mailbox_gets(client, customer, smtp_inbox, make_customer):
    other = make_customer(display_name="Other", dd_name="Other")
    for n in range(4):
        subscribe(client, customer, email=f"Ann+tag{n}@Builder.example")
        subscribe(client, other, email=f"ann+x{n}@builder.example")
    assert len(smtp_inbox.messages) == 3  # MAX_CONFIRMATIONS_PER_DAY for the mailbox ann@builder.example
    assert Subscription.objects.filter(mailbox="ann@builder.example").count() == 8
