"""Alerts and digests: built from ETA changes recorded by real fetches, sent through a real SMTP server."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from history.models import EtaChange
from notifications.models import Delivery, Subscription
from notifications.sending import MAX_FAILURES, notifications_send
from notifications.services import subscription_confirm, subscription_request
from statuses.models import StatusMapping
from tests.conftest import SYDNEY, run_command
from tests.notifications.conftest import after_settling, dated_orders, fetch, links, move

pytestmark = pytest.mark.django_db

ANN, BOB = "ann@builder.example", "bob@builder.example"


def subscribed(customer, email=ANN, *, alerts=True, digest=False, min_days=0, later_only=False) -> Subscription:
    """A confirmed subscription, as if its owner had followed the confirmation link."""
    wants = {"alerts": alerts, "digest": digest, "min_days": min_days, "later_only": later_only}
    outcome = subscription_request(customer=customer, email=email, **wants)
    return subscription_confirm(request=outcome.confirmation)


def test_one_alert_lists_every_change_since_the_last_and_nothing_is_sent_twice(northside, simulator, smtp_inbox):
    subscribed(northside)
    first, second, third = dated_orders()[:3]
    move(simulator, first, 7)
    move(simulator, second, -2)
    fetch(northside)
    assert EtaChange.objects.count() == 2

    summary = notifications_send(now=after_settling())
    assert len(summary.sent) == 1
    [message] = smtp_inbox.messages
    assert str(message["Subject"]).strip() == "2 orders have new dates — Northside Window Co"
    text = smtp_inbox.text(message)
    assert f"Order {first}" in text and f"Order {second}" in text
    assert "Moved from " in text and "— 7 days later" in text
    assert "Brought forward from " in text and "— 2 days earlier" in text

    assert notifications_send(now=after_settling()).sent == []  # nothing new: nothing sent
    move(simulator, third, 3)
    fetch(northside)
    notifications_send(now=after_settling())
    assert len(smtp_inbox.messages) == 2
    latest = smtp_inbox.text(smtp_inbox.messages[1])
    assert str(smtp_inbox.messages[1]["Subject"]).strip().startswith(f"Order {third} has a new date: ")
    assert f"Order {first}" not in latest


def test_changes_before_the_confirmation_are_not_sent(northside, simulator, smtp_inbox):
    move(simulator, dated_orders()[0], 5)
    fetch(northside)
    subscribed(northside)
    assert notifications_send(now=after_settling()).sent == []
    assert smtp_inbox.messages == []


def test_every_subscriber_gets_one_email_and_unconfirmed_or_paused_ones_get_none(northside, simulator, smtp_inbox):
    subscribed(northside, ANN)
    subscribed(northside, BOB)
    subscription_request(customer=northside, email="carol@builder.example", alerts=True, digest=False)
    Subscription.objects.create(
        customer=northside, email="dan@builder.example", confirmed_at=timezone.now(), paused_at=timezone.now()
    )
    smtp_inbox.messages.clear()
    move(simulator, dated_orders()[0], 4)
    fetch(northside)
    notifications_send(now=after_settling())
    assert sorted(m["To"] for m in smtp_inbox.messages) == [ANN, BOB]


def test_alerts_show_renamed_statuses_and_nothing_from_the_deny_list(northside, simulator, smtp_inbox):
    StatusMapping.objects.create(odata_status="In Production", custom_status="Being made", active=True)
    subscribed(northside)
    ref = next(
        r
        for r in dated_orders()
        if any(
            row["RefNo"] == r and row.get("ProductionStatus") == "In Production"
            for rows in simulator.dataset.jobs.values()
            for row in rows
        )
    )
    move(simulator, ref, 6)
    fetch(northside)
    notifications_send(now=after_settling())
    [message] = smtp_inbox.messages
    text, html = smtp_inbox.text(message), smtp_inbox.html(message)
    assert "Being made" in text and "Being made" in html
    assert "In Production" not in text
    rows = [row for rows in simulator.dataset.jobs.values() for row in rows if row["RefNo"] == ref]
    for secret in ("CostPrice", "Margin", "SupplierPriceEach"):
        assert secret not in text and secret not in html
        assert str(rows[0][secret]) not in text
    report = [link for link in links(text) if "changed=recent" in link]
    assert report == [f"https://eta.blinds.example/{northside.obfuscated_id}?changed=recent"]


def test_a_blackout_does_not_hold_alerts_back(northside, simulator, smtp_inbox, settings):
    subscribed(northside)
    move(simulator, dated_orders()[0], 4)
    fetch(northside)
    settings.BUZ_BLACKOUT = (datetime.min.time(), datetime.max.time().replace(microsecond=0))
    simulator.shutdown()  # and BuzManager is gone altogether
    assert len(notifications_send(now=after_settling()).sent) == 1
    assert "Moved from " in smtp_inbox.text(smtp_inbox.messages[0])


def test_a_failed_send_is_retried_with_back_off_then_the_subscription_pauses(northside, simulator, smtp_inbox, caplog):
    subscription = subscribed(northside)
    move(simulator, dated_orders()[0], 4)
    fetch(northside)
    smtp_inbox.refuse_next = 2
    now = after_settling()
    assert len(notifications_send(now=now).failed) == 1
    delivery = Delivery.objects.get(kind=Delivery.ALERT)
    assert delivery.status == Delivery.FAILED and "451" in delivery.error
    assert notifications_send(now=now + timedelta(minutes=1)).sent == []  # backing off
    assert len(notifications_send(now=now + timedelta(minutes=6)).failed) == 1  # second attempt, refused
    assert notifications_send(now=now + timedelta(minutes=12)).sent == []  # the next wait is longer
    assert len(notifications_send(now=now + timedelta(minutes=22)).sent) == 1  # third attempt: delivered
    delivery.refresh_from_db()
    subscription.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (Delivery.SENT, 3)
    assert subscription.failures == 0 and subscription.paused_at is None and "451" in subscription.last_error
    assert len(smtp_inbox.messages) == 1  # one alert, however many tries

    # Now the mail server refuses everything: five in a row, and the subscription pauses.
    move(simulator, dated_orders()[1], 3)
    fetch(northside)
    smtp_inbox.refuse_next = 100
    moment = after_settling() + timedelta(minutes=30)
    for _ in range(MAX_FAILURES):
        notifications_send(now=moment)
        moment += timedelta(hours=4)
    subscription.refresh_from_db()
    assert subscription.paused_at is not None and subscription.failures == MAX_FAILURES
    assert subscription.pause_reason.startswith("5 failed sends in a row: Recipient refused: 451")
    assert notifications_send(now=moment + timedelta(days=1)).failed == []  # paused: not tried again
    assert not [r for r in caplog.records if "builder.example" in r.getMessage() and r.name != "mail.log"]


def test_two_workers_running_the_schedule_at_once_send_each_alert_once(
    transactional_db, simulator, smtp_inbox, settings
):
    from customers.models import Customer

    settings.BUZ_FRESH_MINUTES = 0
    customer = Customer.objects.create(display_name="Northside Window Co", dd_name="Northside Window Co")
    fetch(customer)
    for n in range(4):
        subscribed(customer, f"person{n}@builder.example", digest=True)
    move(simulator, dated_orders()[0], 4)
    fetch(customer)
    smtp_inbox.messages.clear()
    start = threading.Barrier(6)
    errors = []

    def worker() -> None:
        from django.db import connection

        try:
            start.wait(10)
            notifications_send(now=after_settling(), digest_now=False)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert sorted(m["To"] for m in smtp_inbox.messages) == [f"person{n}@builder.example" for n in range(4)]
    assert Delivery.objects.filter(kind=Delivery.ALERT).count() == 4


# --- the weekly digest ------------------------------------------------------------------------------

MONDAY = datetime(2026, 11, 23, 7, 30, tzinfo=SYDNEY)  # the simulator's "today"


def test_the_digest_goes_out_once_on_monday_morning(northside, simulator, smtp_inbox, monkeypatch):
    subscribed(northside, digest=True, alerts=False)
    assert notifications_send(now=MONDAY - timedelta(minutes=5)).sent == []
    with time_machine.travel(MONDAY + timedelta(minutes=5), tick=False):
        assert len(notifications_send().sent) == 1
        with monkeypatch.context() as patch:  # later runs that morning do not even read the report
            patch.setattr("notifications.sending.cached_orders", lambda customer: pytest.fail("report read"))
            assert notifications_send(now=MONDAY + timedelta(minutes=20)).sent == []  # once a week
    assert notifications_send(now=MONDAY + timedelta(days=1)).sent == []  # Tuesday: nothing
    [message] = smtp_inbox.messages
    assert str(message["Subject"]).strip().startswith("Due in the next two weeks: ")
    text = smtp_inbox.text(message)
    assert "Due by " in text and f"https://eta.blinds.example/{northside.obfuscated_id}" in text
    with time_machine.travel(MONDAY + timedelta(days=7, minutes=5), tick=False):
        assert len(notifications_send().sent) == 1  # next Monday


@time_machine.travel(MONDAY + timedelta(minutes=5), tick=False)
def test_the_digest_lists_orders_due_within_two_weeks_and_the_weeks_changes(northside, simulator, smtp_inbox):
    from reports.report import report_from_results, report_peek

    subscribed(northside, digest=True, alerts=False)
    ref = dated_orders()[0]
    move(simulator, ref, 2)
    fetch(northside)
    notifications_send()
    [message] = smtp_inbox.messages
    text = smtp_inbox.text(message)
    orders = report_from_results(customer=northside, results=report_peek(customer=northside)).orders
    soon = [o.ref_no for o in orders if o.eta and o.eta <= MONDAY.date() + timedelta(days=14)]
    later = [o.ref_no for o in orders if o.eta and o.eta > MONDAY.date() + timedelta(days=14)]
    assert soon and all(f"Order {r}" in text.split("New dates since")[0] for r in soon)
    assert not [r for r in later if f"Order {r}\n" in text or f"Order {r} " in text]
    assert "New dates since " in text and f"Order {ref}" in text.split("New dates since")[1]


def test_dry_run_prints_what_would_be_sent_and_sends_nothing(northside, simulator, smtp_inbox):
    subscribed(northside)
    move(simulator, dated_orders()[0], 4)
    fetch(northside)
    with time_machine.travel(after_settling()):
        out, code = run_command("send_notifications", "--dry-run")
    assert code == 0 and "would send 1 e-mails" in out
    assert "alert to subscription" in out and "a…@builder.example" in out and ANN not in out
    assert "Moved from " in out
    assert smtp_inbox.messages == [] and not Delivery.objects.filter(kind=Delivery.ALERT).exists()
    assert Subscription.objects.get().alert_cursor < EtaChange.objects.get().pk


def test_the_digest_command_shows_the_monday_email_on_demand(northside, simulator, smtp_inbox):
    subscribed(northside, digest=True, alerts=False)
    out, code = run_command("send_notifications", "--digest", "--dry-run")
    assert code == 0 and "digest to subscription" in out and "Due by " in out
    out, code = run_command("send_notifications", "--digest")
    assert code == 0 and "sent 1 e-mails" in out
    assert str(smtp_inbox.messages[0]["Subject"]).strip().startswith("Due in the next two weeks")


def test_a_group_subscriber_hears_of_a_members_move_seen_through_the_members_own_link(simulator, smtp_inbox, settings):
    from customers.models import Customer

    settings.BUZ_FRESH_MINUTES = 0
    group = Customer.objects.create(
        display_name="Coastal Living Group", dd_name="Coastal Living Group", field_type=Customer.CUSTOMER_GROUP
    )
    member = Customer.objects.create(display_name="Coastal Living Cronulla", dd_name="Coastal Living Cronulla")
    fetch(group)
    fetch(member)
    subscribed(group)
    ref = dated_orders("Coastal Living Cronulla")[0]
    move(simulator, ref, 5)
    fetch(member)  # only the member's own page was opened
    notifications_send(now=after_settling())
    [message] = smtp_inbox.messages
    text = smtp_inbox.text(message)
    assert f"Order {ref}" in text and "(Coastal Living Cronulla)" in text  # the member, on a group's e-mail


def test_unconfirmed_addresses_go_after_a_week_and_delivery_records_after_90_days(customer, smtp_inbox):
    waiting = subscription_request(customer=customer, email=BOB, alerts=True, digest=False).subscription
    confirmed = subscribed(customer)
    old = Delivery.objects.create(
        subscription=confirmed, kind=Delivery.ALERT, period="1-2", status=Delivery.SENT,
        created_at=timezone.now() - timedelta(days=91),
    )  # fmt: skip
    notifications_send(now=timezone.now() + timedelta(days=6))
    assert Subscription.objects.filter(pk=waiting.pk).exists() and not Delivery.objects.filter(pk=old.pk).exists()
    notifications_send(now=timezone.now() + timedelta(days=7, minutes=1))
    assert list(Subscription.objects.all()) == [confirmed]  # the address nobody confirmed is gone
