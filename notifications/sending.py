"""Sending what is due — once: confirmations, date-change alerts, the weekly digest, retries.

Exactly once across workers: every e-mail is claimed before it is sent, by a
`Delivery` row unique per (subscription, kind, period) and, for alerts, by moving the
subscription's cursor with `UPDATE … WHERE alert_cursor = <what we read>`. A worker that
loses either race sends nothing. A failed send is retried with back-off by later runs
(never a new alert while one waits); after MAX_FAILURES in a row the subscription pauses.

Addresses never reach logs or Sentry: log lines name subscriptions and deliveries by id.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import partial

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone

from customers.models import Customer
from history.models import EtaChange
from history.selectors import eta_changes_for_customer
from lib.clock import business_tz
from notifications.links import CONFIRM_MAX_AGE, ConfirmRequest
from notifications.messages import (
    alert_message,
    cached_orders,
    confirmation_message,
    digest_message,
    due_orders,
    moved_orders,
)
from notifications.models import Delivery, Subscription, ToldDate, masked_address

log = logging.getLogger(__name__)

MAX_FAILURES = 5
# Waits before the 2nd, 3rd… attempt of a failed e-mail (the schedule's own interval rounds them up).
RETRY_BACKOFF = [timedelta(minutes=5), timedelta(minutes=15), timedelta(hours=1), timedelta(hours=3)]
MAX_CONFIRMATIONS_PER_DAY = 3  # confirmation e-mails to one mailbox (address without +tags) per day
# A change is alerted once it is this old: a recording still committing cannot slip under the cursor.
SETTLE = timedelta(seconds=30)
DELIVERY_KEEP_DAYS = 90
# A digest whose Monday run was missed (worker down) still goes out this late, never later.
DIGEST_GRACE = timedelta(hours=12)


@dataclass
class SendSummary:
    sent: list[str] = field(default_factory=list)  # "alert to subscription 4: 3 changes"
    failed: list[str] = field(default_factory=list)
    planned: list[str] = field(default_factory=list)  # --dry-run: what would go out

    def describe(self) -> str:
        if self.planned:
            return f"would send {len(self.planned)} e-mails"
        return f"sent {len(self.sent)} e-mails, {len(self.failed)} failed"


def _error_text(error: Exception) -> str:
    """What went wrong, for staff (who may see addresses); the SMTP reply code first when there is one."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        code, reply = next(iter(error.recipients.values()), (0, b""))
        return f"Recipient refused: {code} {reply.decode(errors='replace') if isinstance(reply, bytes) else reply}"
    if isinstance(error, smtplib.SMTPResponseException):
        reply = error.smtp_error.decode(errors="replace") if isinstance(error.smtp_error, bytes) else error.smtp_error
        return f"{type(error).__name__}: {error.smtp_code} {reply}"
    return f"{type(error).__name__}: {error}"


def _error_kind(error: Exception) -> str:
    """What went wrong, for logs and Sentry: the class and SMTP code, never the reply (it may echo the address)."""
    code = getattr(error, "smtp_code", "")
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        code = next(iter(error.recipients.values()), ("",))[0]
    return f"{type(error).__name__} {code}".strip()


def _deliver(delivery: Delivery, build: Callable[[], EmailMultiAlternatives], summary: SendSummary) -> bool:
    """Send a claimed delivery and record how it went."""
    subscription = delivery.subscription
    what = f"{delivery.kind} to subscription {subscription.pk} ({delivery.items} items)"
    try:
        message = build()
        delivery.subject = message.subject[:300]
        message.send()
    except Exception as error:  # SMTP, network, a template: recorded, retried, never the whole run
        _record_failure(delivery, error)
        summary.failed.append(what)
        return False
    now = timezone.now()
    Delivery.objects.filter(pk=delivery.pk).update(status=Delivery.SENT, sent_at=now, subject=delivery.subject)
    Subscription.objects.filter(pk=subscription.pk).update(last_sent_at=now, failures=0, retry_at=None)
    log.info("sent %s, delivery %s", what, delivery.pk)
    summary.sent.append(what)
    return True


def _record_failure(delivery: Delivery, error: Exception) -> None:
    now = timezone.now()
    retry_at = now + RETRY_BACKOFF[min(delivery.attempts, len(RETRY_BACKOFF)) - 1]
    text = _error_text(error)[:500]
    Delivery.objects.filter(pk=delivery.pk).update(
        status=Delivery.FAILED, error=text, next_attempt_at=retry_at, subject=delivery.subject
    )
    subscription_id = delivery.subscription_id
    Subscription.objects.filter(pk=subscription_id).update(
        failures=F("failures") + 1, last_error=text, last_failed_at=now, retry_at=retry_at
    )
    paused = Subscription.objects.filter(pk=subscription_id, failures__gte=MAX_FAILURES, paused_at__isnull=True).update(
        paused_at=now, pause_reason=f"{MAX_FAILURES} failed sends in a row: {text}"[:300]
    )
    mail_server = isinstance(error, smtplib.SMTPException | OSError)
    if not mail_server:
        # A bug of ours, not the mail server: its traceback goes to Sentry, which scrubs addresses.
        log.error("delivery %s could not be built or sent", delivery.pk, exc_info=error)
    if paused:
        log.error(
            "subscription %s paused after %s failed sends (%s)", subscription_id, MAX_FAILURES, _error_kind(error)
        )
    elif mail_server:
        log.warning("delivery %s failed (%s); retry after %s", delivery.pk, _error_kind(error), retry_at.isoformat())


def _claim(subscription: Subscription, *, kind: str, period: str, items: int) -> Delivery | None:
    """The right to send this e-mail, or None when another worker (or an earlier run) has it."""
    try:
        with transaction.atomic():
            return Delivery.objects.create(subscription=subscription, kind=kind, period=period, items=items)
    except IntegrityError:
        return None


def confirmation_send(*, request: ConfirmRequest, summary: SendSummary | None = None) -> bool:
    """Send the confirmation e-mail for a sign-up (at most MAX_CONFIRMATIONS_PER_DAY to one address)."""
    summary = summary or SendSummary()
    subscription = Subscription.objects.select_related("customer").filter(pk=request.subscription_id).first()
    if subscription is None:
        return False
    # Counted per mailbox, whatever its +tags and whichever customer's page asked.
    confirmations = Delivery.objects.filter(kind=Delivery.CONFIRM, subscription__mailbox=subscription.mailbox)
    if confirmations.filter(created_at__gte=timezone.now() - timedelta(days=1)).count() >= MAX_CONFIRMATIONS_PER_DAY:
        log.info("subscription %s: no more confirmations to its mailbox today", subscription.pk)
        return False
    # The request's moment names it (a count could repeat once old deliveries are purged).
    period = f"{timezone.now().isoformat()}:{request.choices}"
    delivery = _claim(subscription, kind=Delivery.CONFIRM, period=period, items=0)
    if delivery is None:
        return False
    return _deliver(delivery, partial(confirmation_message, subscription, request), summary)


def _confirm_request(delivery: Delivery) -> ConfirmRequest:
    return ConfirmRequest.from_choices(delivery.subscription_id, delivery.period.rpartition(":")[2])


def _changes_in(customer: Customer, period: str):
    low, _, high = period.partition("-")
    return eta_changes_for_customer(customer).filter(id__gt=int(low), id__lte=int(high))


class _OrdersByCustomer:
    """Each customer's cached orders, read once per run however many subscribers it has."""

    def __init__(self) -> None:
        self._by_customer: dict[int, dict | None] = {}

    def of(self, customer: Customer):
        if customer.pk not in self._by_customer:
            self._by_customer[customer.pk] = cached_orders(customer)
        return self._by_customer[customer.pk]


def digest_slot(now: datetime) -> datetime:
    """The most recent BUZ_DIGEST_AT (business time) at or before `now`."""
    weekday, at = settings.BUZ_DIGEST_AT
    local = timezone.localtime(now, business_tz())
    day = local.date() - timedelta(days=(local.weekday() - weekday) % 7)
    slot = datetime.combine(day, at, tzinfo=business_tz())
    return slot if slot <= local else slot - timedelta(days=7)


def _digest_builder(
    subscription: Subscription, now: datetime, cache: _OrdersByCustomer
) -> Callable[[], EmailMultiAlternatives]:
    def build() -> EmailMultiAlternatives:
        customer = subscription.customer
        orders = cache.of(customer)
        today = timezone.localtime(now, business_tz()).date()
        due = None if orders is None else due_orders(orders, today=today, is_group=customer.is_group)
        week = eta_changes_for_customer(customer, since=now - timedelta(days=7))
        moved = moved_orders(week, orders, is_group=customer.is_group)
        return digest_message(subscription, due=due, moved=moved, now=now)

    return build


def notifications_send(*, now: datetime | None = None, dry_run: bool = False, digest_now: bool = False) -> SendSummary:
    """Everything due now: retries, date-change alerts, and the weekly digest when its time has come.

    `digest_now`: the digest at once, whatever the day (operators asking to see it).
    """
    now = now or timezone.now()
    summary = SendSummary()
    orders = _OrdersByCustomer()
    if not dry_run:
        _purge(now)
        _send_retries(now, summary, orders)
    _send_alerts(now, summary, orders, dry_run=dry_run)
    slot = digest_slot(now)
    if digest_now or now - slot <= DIGEST_GRACE:
        period = f"now {now:%Y-%m-%d %H:%M}" if digest_now else slot.date().isoformat()
        _send_digests(now, period, summary, orders, dry_run=dry_run)
    return summary


def _purge(now: datetime) -> None:
    # Their confirmation links have expired: an address nobody confirmed is not kept.
    Subscription.objects.unconfirmed().filter(created_at__lt=now - CONFIRM_MAX_AGE).delete()
    # The record of what was sent is kept this long; the subscription keeps its last sent and last failure.
    Delivery.objects.filter(created_at__lt=now - timedelta(days=DELIVERY_KEEP_DAYS)).delete()


def _send_retries(now: datetime, summary: SendSummary, orders: _OrdersByCustomer) -> None:
    due = Delivery.objects.filter(
        status=Delivery.FAILED,
        next_attempt_at__lte=now,
        subscription__isnull=False,
        subscription__paused_at__isnull=True,
    ).select_related("subscription__customer")
    for delivery in due:
        claimed = Delivery.objects.filter(pk=delivery.pk, status=Delivery.FAILED, attempts=delivery.attempts).update(
            status=Delivery.SENDING, attempts=F("attempts") + 1, next_attempt_at=None
        )
        if not claimed:
            continue
        delivery.attempts += 1
        subscription = delivery.subscription
        customer = subscription.customer
        if delivery.kind == Delivery.CONFIRM:
            build = partial(confirmation_message, subscription, _confirm_request(delivery))
        elif delivery.kind == Delivery.ALERT:
            changes = _changes_in(customer, delivery.period)
            told = {int(order_id): date.fromisoformat(day) for order_id, day in delivery.told.items()}
            if told:  # a subscription with thresholds: the orders it chose, measured as it chose
                changes = [change for change in changes if change.order_id in told]
            moved = moved_orders(changes, orders.of(customer), is_group=customer.is_group, told=told)
            build = partial(alert_message, subscription, moved)
        else:
            build = _digest_builder(subscription, now, orders)
        _deliver(delivery, build, summary)


def _send_alerts(now: datetime, summary: SendSummary, orders: _OrdersByCustomer, *, dry_run: bool) -> None:
    subscriptions = Subscription.objects.active().filter(alerts=True, retry_at__isnull=True).select_related("customer")
    by_customer: dict[int, list[Subscription]] = {}
    for subscription in subscriptions:
        by_customer.setdefault(subscription.customer_id, []).append(subscription)
    for group in by_customer.values():
        customer = group[0].customer
        low = min(s.alert_cursor for s in group)
        settled = eta_changes_for_customer(customer).filter(id__gt=low, detected_at__lte=now - SETTLE)
        changes = list(settled.select_related("order"))
        for subscription in group:
            mine = [c for c in changes if c.pk > subscription.alert_cursor]
            if not mine:
                continue
            high = max(c.pk for c in mine)
            plan = _alert_plan(subscription, mine)
            moved = moved_orders(plan.changes, orders.of(customer), is_group=customer.is_group, told=plan.told)
            if dry_run:
                if moved:
                    summary.planned.append(_plan(subscription, "alert", alert_message(subscription, moved)))
                continue
            delivery = _claim_alert(subscription, plan, high=high, items=len(moved))
            if delivery is not None:
                _deliver(delivery, partial(alert_message, subscription, moved), summary)


@dataclass
class _AlertPlan:
    changes: list[EtaChange]  # the changes of the orders the alert lists
    told: dict[int, date] = field(default_factory=dict)  # those orders: the date the subscriber last knew
    knows: dict[int, date] = field(default_factory=dict)  # every order seen: what it knows once this is sent


def _alert_plan(subscription: Subscription, changes: list[EtaChange]) -> _AlertPlan:
    """Which orders' moves this subscriber asked to hear about.

    Without thresholds, every change (today's behaviour). With them, an order is listed when its
    date is now at least `min_days` (and one day) from the date the subscriber last knew — later,
    when `later_only` — so small moves add up instead of slipping through one by one.
    """
    if not (subscription.min_days or subscription.later_only):
        return _AlertPlan(changes)
    by_order: dict[int, list[EtaChange]] = {}
    for change in changes:
        by_order.setdefault(change.order_id, []).append(change)
    known = dict(
        ToldDate.objects.filter(subscription=subscription, order_id__in=by_order).values_list("order_id", "eta")
    )
    plan = _AlertPlan([])
    for order_id, order_changes in by_order.items():
        order_changes.sort(key=lambda c: (c.detected_at, c.pk))
        knew = known.get(order_id, order_changes[0].from_eta)
        days = (order_changes[-1].to_eta - knew).days
        if abs(days) >= max(subscription.min_days, 1) and (days > 0 or not subscription.later_only):
            plan.changes += order_changes
            plan.told[order_id] = knew
            plan.knows[order_id] = order_changes[-1].to_eta
        elif order_id not in known:
            plan.knows[order_id] = knew  # the date to measure its next moves from
    return plan


def _claim_alert(subscription: Subscription, plan: _AlertPlan, *, high: int, items: int) -> Delivery | None:
    """Move the cursor past these changes and claim the e-mail (when there is one to send), in one
    transaction (or neither)."""
    try:
        with transaction.atomic():
            moved = Subscription.objects.filter(
                pk=subscription.pk, alert_cursor=subscription.alert_cursor, retry_at__isnull=True
            ).update(alert_cursor=high)
            if moved != 1:
                return None  # another worker took these changes first
            if plan.knows:
                ToldDate.objects.bulk_create(
                    [ToldDate(subscription=subscription, order_id=o, eta=eta) for o, eta in plan.knows.items()],
                    update_conflicts=True,
                    unique_fields=["subscription", "order"],
                    update_fields=["eta"],
                )
            if not items:
                return None  # nothing the subscriber asked to hear about
            return Delivery.objects.create(
                subscription=subscription,
                kind=Delivery.ALERT,
                period=f"{subscription.alert_cursor}-{high}",
                items=items,
                told={str(order_id): day.isoformat() for order_id, day in plan.told.items()},
            )
    except IntegrityError:
        return None


def _send_digests(
    now: datetime, period: str, summary: SendSummary, orders: _OrdersByCustomer, *, dry_run: bool
) -> None:
    # Runs after the first in the digest's window skip those already sent, before any report is read.
    sent = Delivery.objects.filter(subscription=OuterRef("pk"), kind=Delivery.DIGEST, period=period)
    due = Subscription.objects.active().filter(digest=True).exclude(Exists(sent)).select_related("customer")
    for subscription in due:
        build = _digest_builder(subscription, now, orders)
        if dry_run:
            summary.planned.append(_plan(subscription, "digest", build()))
            continue
        delivery = _claim(subscription, kind=Delivery.DIGEST, period=period, items=0)
        if delivery is not None:
            _deliver(delivery, build, summary)


def _plan(subscription: Subscription, kind: str, message: EmailMultiAlternatives) -> str:
    return (
        f"{kind} to subscription {subscription.pk} ({masked_address(subscription.email)}, "
        f"{subscription.customer.display_name}): {message.subject}\n{message.body}"
    )
