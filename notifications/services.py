"""Subscribing, confirming and unsubscribing: what the customer page, the links in e-mails
and the admin do to subscriptions. Sending is in `sending.py`.

Addresses never reach logs or Sentry: log lines name subscriptions by id.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import Actor, audit_record
from customers.models import Customer
from history.models import EtaChange
from notifications.links import ConfirmRequest
from notifications.models import NOTHING_CHOSEN, Delivery, Subscription

log = logging.getLogger(__name__)

MAX_UNCONFIRMED_PER_DAY = 5  # new addresses per customer per day awaiting confirmation


@dataclass
class SubscribeOutcome:
    subscription: Subscription
    confirmation: ConfirmRequest | None  # what to confirm by e-mail; None: nothing to send


def subscription_request(
    *,
    customer: Customer,
    email: str,
    alerts: bool,
    digest: bool,
    min_days: int = 0,
    later_only: bool = False,
    actor: Actor | None = None,
    now: datetime | None = None,
) -> SubscribeOutcome:
    """Ask for e-mail updates: a new or changed subscription waits for its owner to confirm by e-mail.

    The answer to the visitor never says whether the address was already subscribed.
    `actor`: a staff member adding it (recorded, and not held to the customer page's
    daily limit of unconfirmed addresses); None for the customer page.
    """
    if not (alerts or digest):
        raise ValidationError(NOTHING_CHOSEN, code="nothing_chosen")
    now = now or timezone.now()
    wanted = {"alerts": alerts, "digest": digest, "min_days": min_days, "later_only": later_only}
    with transaction.atomic():
        # One sign-up at a time per customer, so the daily limit holds under concurrent posts.
        Customer.objects.select_for_update().filter(pk=customer.pk).first()
        existing = Subscription.objects.filter(customer=customer, email__iexact=email).first()
        if existing is None:
            recent = Subscription.objects.unconfirmed().filter(
                customer=customer, created_at__gte=now - timedelta(days=1)
            )
            if actor is None and recent.count() >= MAX_UNCONFIRMED_PER_DAY:
                raise ValidationError(
                    "Too many addresses are waiting for confirmation on this page today. Please try again tomorrow.",
                    code="too_many_unconfirmed",
                )
            added_by = f"staff: {actor.name}"[:150] if actor else "customer page"
            existing = Subscription.objects.create(
                customer=customer, email=email, added_by=added_by, created_at=now, **wanted
            )
        elif not existing.confirmed_at:
            for name, value in wanted.items():
                setattr(existing, name, value)
            existing.save(update_fields=list(wanted))
        if actor is not None:
            audit_record(actor=actor, action=AuditEvent.Action.ADDED_UPDATES, obj=existing)
    if existing.confirmed_at and all(getattr(existing, name) == value for name, value in wanted.items()):
        return SubscribeOutcome(existing, None)  # already exactly this: nothing to confirm
    return SubscribeOutcome(existing, ConfirmRequest(existing.pk, **wanted))


def subscription_confirm(*, request: ConfirmRequest) -> Subscription | None:
    """Confirm (or apply changed choices to) a subscription; None when it no longer exists."""
    with transaction.atomic():
        subscription = Subscription.objects.select_for_update().filter(pk=request.subscription_id).first()
        if subscription is None:
            return None
        fields = ["alerts", "digest", "min_days", "later_only"]
        for name in fields:
            setattr(subscription, name, getattr(request, name))
        if subscription.confirmed_at is None:
            subscription.confirmed_at = timezone.now()
            # Alerts start from now: changes before the confirmation were never promised to it.
            subscription.alert_cursor = EtaChange.objects.aggregate(last=Max("id"))["last"] or 0
            fields += ["confirmed_at", "alert_cursor"]
        subscription.save(update_fields=fields)
    log.info("subscription %s confirmed", subscription.pk)
    return subscription


def subscription_unsubscribe(*, subscription_id: int) -> bool:
    """Delete the subscription with its deliveries (the address goes with them); False if already gone."""
    deleted, _ = Subscription.objects.filter(pk=subscription_id).delete()
    if deleted:
        log.info("subscription %s unsubscribed", subscription_id)
    return bool(deleted)


@transaction.atomic
def subscription_change(*, subscription: Subscription, actor: Actor) -> Subscription:
    """Staff changing an address's choices (no confirmation: staff are trusted with it)."""
    subscription.full_clean(exclude=["customer", "email"])
    subscription.save(update_fields=["alerts", "digest"])
    audit_record(actor=actor, action=AuditEvent.Action.CHANGED_UPDATES, obj=subscription)
    return subscription


@transaction.atomic
def subscription_remove(*, subscription: Subscription, actor: Actor) -> None:
    """Staff removing an address: it goes with its deliveries; the trail names only the subscription."""
    audit_record(actor=actor, action=AuditEvent.Action.REMOVED_UPDATES, obj=subscription)
    subscription.delete()


def subscriptions_pause(*, subscriptions, actor: Actor, reason: str = "Paused by staff") -> int:
    count = 0
    for subscription in subscriptions.filter(paused_at__isnull=True):
        with transaction.atomic():
            count += Subscription.objects.filter(pk=subscription.pk, paused_at__isnull=True).update(
                paused_at=timezone.now(), pause_reason=reason
            )
            audit_record(actor=actor, action=AuditEvent.Action.PAUSED_UPDATES, obj=subscription)
    return count


def subscriptions_resume(*, subscriptions, actor: Actor) -> int:
    """Resume: failures forgotten, and an e-mail that failed is tried again on the next run."""
    count = 0
    for subscription in subscriptions.filter(paused_at__isnull=False):
        with transaction.atomic():
            count += Subscription.objects.filter(pk=subscription.pk).update(
                paused_at=None, pause_reason="", failures=0, retry_at=None
            )
            subscription.deliveries.filter(status=Delivery.FAILED).update(next_attempt_at=timezone.now())
            audit_record(actor=actor, action=AuditEvent.Action.RESUMED_UPDATES, obj=subscription)
    return count


def confirmation_enqueue(request: ConfirmRequest) -> None:
    """Send the confirmation from a worker once the sign-up is committed (SMTP can be slow; a page is not)."""
    from django_q.tasks import async_task

    transaction.on_commit(
        lambda: async_task(
            "notifications.tasks.send_confirmation_task",
            request.subscription_id,
            request.alerts,
            request.digest,
            request.min_days,
            request.later_only,
            task_name=f"confirm-{request.subscription_id}",
        )
    )
