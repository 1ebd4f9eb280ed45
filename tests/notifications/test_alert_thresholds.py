"""Alerts only for the moves a subscriber cares about (min_days, later_only): real fetches, a real SMTP server."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import signing

from notifications.links import ConfirmRequest, confirm_token_read
from notifications.models import Delivery, Subscription, ToldDate
from notifications.sending import notifications_send
from tests.notifications.conftest import after_settling, dated_orders, fetch, links, move, path_of
from tests.notifications.test_sending import subscribed

pytestmark = pytest.mark.django_db

ANN, BOB = "ann@builder.example", "bob@builder.example"


def moved_and_sent(customer, simulator, inbox, *moves: tuple[str, int]) -> list:
    """Move orders in the factory, fetch, run the schedule; the e-mails it sent."""
    before = len(inbox.messages)
    for ref_no, days in moves:
        move(simulator, ref_no, days)
    fetch(customer)
    notifications_send(now=after_settling())
    return inbox.messages[before:]


def test_small_moves_add_up_until_they_reach_the_threshold(northside, simulator, smtp_inbox):
    subscription = subscribed(northside, min_days=7)
    order = dated_orders()[0]

    assert moved_and_sent(northside, simulator, smtp_inbox, (order, 3)) == []
    assert moved_and_sent(northside, simulator, smtp_inbox, (order, 3)) == []
    subscription.refresh_from_db()
    assert subscription.alert_cursor > 0 and subscription.deliveries.count() == 0  # passed over, not held back

    [alert] = moved_and_sent(northside, simulator, smtp_inbox, (order, 1))
    text = smtp_inbox.text(alert)
    # Measured from the date Ann last knew, not from yesterday's date.
    assert f"Order {order}" in text and "— 7 days later" in text
    assert moved_and_sent(northside, simulator, smtp_inbox, (order, 1)) == []  # 1 day from what she now knows


def test_a_week_or_more_ignores_smaller_moves_of_other_orders_in_the_same_run(northside, simulator, smtp_inbox):
    subscribed(northside, min_days=7)
    subscribed(northside, BOB)  # today's behaviour: every move
    big, small = dated_orders()[:2]

    sent = moved_and_sent(northside, simulator, smtp_inbox, (big, 8), (small, 2))
    [to_ann] = [m for m in sent if m["To"] == ANN]
    [to_bob] = [m for m in sent if m["To"] == BOB]
    assert f"Order {big}" in smtp_inbox.text(to_ann) and f"Order {small}" not in smtp_inbox.text(to_ann)
    assert str(to_ann["Subject"]).strip().startswith(f"Order {big} has a new date")
    assert f"Order {big}" in smtp_inbox.text(to_bob) and f"Order {small}" in smtp_inbox.text(to_bob)


def test_later_only_ignores_dates_brought_forward_and_measures_from_what_was_known(northside, simulator, smtp_inbox):
    subscribed(northside, later_only=True)
    order = dated_orders()[0]

    assert moved_and_sent(northside, simulator, smtp_inbox, (order, -3)) == []
    # Two days later than the brought-forward date is still a day earlier than the date Ann has.
    assert moved_and_sent(northside, simulator, smtp_inbox, (order, 2)) == []
    [alert] = moved_and_sent(northside, simulator, smtp_inbox, (order, 3))
    assert "— 2 days later" in smtp_inbox.text(alert)


def test_both_thresholds_together(northside, simulator, smtp_inbox):
    subscribed(northside, min_days=2, later_only=True)
    first, second, third = dated_orders()[:3]
    [alert] = moved_and_sent(northside, simulator, smtp_inbox, (first, -9), (second, 1), (third, 2))
    text = smtp_inbox.text(alert)
    assert f"Order {third}" in text and f"Order {first}" not in text and f"Order {second}" not in text


def test_a_failed_threshold_alert_is_retried_with_the_same_orders_and_dates(northside, simulator, smtp_inbox):
    subscription = subscribed(northside, min_days=7)
    big, small = dated_orders()[:2]
    move(simulator, big, 4)
    fetch(northside)
    notifications_send(now=after_settling())  # below the threshold: Ann still knows the first date
    smtp_inbox.refuse_next = 1
    assert moved_and_sent(northside, simulator, smtp_inbox, (big, 4), (small, 1)) == []
    delivery = Delivery.objects.get(subscription=subscription)
    assert delivery.status == Delivery.FAILED and delivery.items == 1

    # The retry is due later; by then the order has moved again (those changes wait for the next alert).
    move(simulator, big, 1)
    fetch(northside)
    notifications_send(now=after_settling() + timedelta(minutes=10))
    [retried] = smtp_inbox.messages
    text = smtp_inbox.text(retried)
    assert f"Order {big}" in text and "— 8 days later" in text and f"Order {small}" not in text


def test_subscriptions_without_thresholds_keep_alerting_every_move(northside, simulator, smtp_inbox):
    subscribed(northside)
    order = dated_orders()[0]
    [first] = moved_and_sent(northside, simulator, smtp_inbox, (order, 1))
    [second] = moved_and_sent(northside, simulator, smtp_inbox, (order, -1))
    assert "— 1 day later" in smtp_inbox.text(first) and "— 1 day earlier" in smtp_inbox.text(second)
    assert not ToldDate.objects.exists()


def test_the_digest_is_unaffected_by_thresholds(northside, simulator, smtp_inbox):
    subscribed(northside, alerts=True, digest=True, min_days=7)
    order = dated_orders()[0]
    move(simulator, order, 2)
    fetch(northside)
    notifications_send(now=after_settling(), digest_now=True)
    [digest] = smtp_inbox.messages  # the digest, and no alert for a two-day move
    assert str(digest["Subject"]).strip().startswith(("Due in the next two weeks", "Your orders this week"))
    moves = smtp_inbox.text(digest).partition("New dates since")[2]
    assert f"Order {order}" in moves and "2 days later" in moves


# --- choosing them -----------------------------------------------------------------------------------


def test_the_sign_up_form_offers_both_and_the_confirmation_says_what_was_chosen(client, northside, smtp_inbox):
    page = client.get(f"/{northside.obfuscated_id}").content.decode()
    assert 'name="min_days"' in page and 'name="later_only"' in page
    response = client.post(
        f"/{northside.obfuscated_id}/subscribe",
        {"email": ANN, "alerts": "on", "min_days": "7", "later_only": "on"},
    )
    assert response.status_code == 303
    [message] = smtp_inbox.messages
    assert "an e-mail when an order's date moves later by a week or more" in smtp_inbox.text(message)
    confirm = next(link for link in links(smtp_inbox.text(message)) if "/confirm/" in link)
    assert "moves later by a week or more" in client.get(path_of(confirm)).content.decode()
    client.post(path_of(confirm))
    subscription = Subscription.objects.get()
    assert (subscription.min_days, subscription.later_only) == (7, True) and subscription.confirmed_at


@pytest.mark.parametrize("value", ["3", "-1", "week", "99999"])
def test_a_threshold_not_offered_is_refused(client, northside, smtp_inbox, value):
    response = client.post(f"/{northside.obfuscated_id}/subscribe", {"email": ANN, "alerts": "on", "min_days": value})
    assert response.status_code == 400
    assert not Subscription.objects.exists() and not smtp_inbox.messages


def test_confirmation_links_sent_before_thresholds_existed_still_confirm(client, northside, smtp_inbox):
    subscription = Subscription.objects.create(customer=northside, email=ANN, alerts=True, digest=True)
    signer = signing.TimestampSigner(salt=f"notifications.confirm:{northside.obfuscated_id}")
    old_token = signer.sign(f"{subscription.pk}.11")
    assert confirm_token_read(northside, old_token) == ConfirmRequest(subscription.pk, True, True, 0, False)
    assert client.post(f"/subscriptions/confirm/{old_token}").status_code == 200
    subscription.refresh_from_db()
    assert subscription.confirmed_at and (subscription.min_days, subscription.later_only) == (0, False)


@pytest.mark.parametrize("choices", ["1031", "10", "1"])
def test_tokens_with_other_choices_are_read_or_refused(northside, choices):
    signer = signing.TimestampSigner(salt=f"notifications.confirm:{northside.obfuscated_id}")
    read = confirm_token_read(northside, signer.sign(f"5.{choices}"))
    assert (read is not None) == (choices == "10")
