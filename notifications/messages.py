"""What our e-mails say: built from stored ETA changes and our cached copy of the report.

Nothing here calls BuzManager, so a blackout or an upstream fault never holds an e-mail
back. An e-mail carries only what the customer page shows (order numbers, the customer's
own references, dates, renamed statuses): never a field from the export deny list.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone

from customers.models import Customer
from history.models import EtaChange
from lib.clock import business_tz
from notifications.links import CONFIRM_MAX_AGE, ConfirmRequest, confirm_url, report_url, unsubscribe_url
from notifications.models import Subscription
from orders.rules import OrderBlock
from orders.wording import brand, days_from_today, move_words, short_date
from reports.report import CachedRowsGone, ReportUnavailable, likely_text, report_from_results, report_peek

DIGEST_DAYS = 14


def one_line(value: str, limit: int = 120) -> str:
    """A header-safe line: no line breaks or control characters (header injection), and not too long."""
    flat = " ".join("".join(c if c.isprintable() else " " for c in value).split())
    return flat if len(flat) <= limit else f"{flat[: limit - 1]}…"


@dataclass
class MovedOrder:
    """One order's move over the changes an e-mail covers: from its first date to its latest."""

    ref_no: str
    reference: str
    member: str
    from_eta: date
    to_eta: date
    statuses: list[str]
    likely: str = ""  # "Likely by …", when the factory's record says later than the new date

    @property
    def days(self) -> int:
        return (self.to_eta - self.from_eta).days

    @property
    def words(self) -> str:
        """`Moved from Thu 26 Nov to Thu 3 Dec — 7 days later`, as the customer page says it."""
        return move_words(self.from_eta, self.to_eta, day=short_date)


@dataclass
class DueOrder:
    ref_no: str
    reference: str
    member: str
    when: str  # Thu 26 Nov
    relative: str  # in 3 days
    overdue: bool
    statuses: list[str]
    likely: str = ""


def cached_orders(customer: Customer) -> dict[tuple[str, str], OrderBlock] | None:
    """The customer's open orders from our copy, by (account, order number); None when we have none."""
    try:
        report = report_from_results(customer=customer, results=report_peek(customer=customer))
    except (ReportUnavailable, CachedRowsGone):
        return None
    return {(order.instance, order.ref_no): order for order in report.orders}


def public_likely_text(order: OrderBlock | None) -> str:
    """The page's "Likely by …" for an order, when the customers may see it (BUZ_FORECAST_PUBLIC)."""
    return likely_text(order) if settings.BUZ_FORECAST_PUBLIC and order is not None else ""


def _statuses(order: OrderBlock | None) -> list[str]:
    return list(dict.fromkeys(line.status for line in order.lines if line.status)) if order else []


def moved_orders(
    changes: Iterable[EtaChange],
    orders: dict[tuple[str, str], OrderBlock] | None,
    *,
    is_group: bool,
    told: dict[int, date] | None = None,
) -> list[MovedOrder]:
    """Each order's net move over `changes` (any order), soonest new date first.

    `told`: per order (OrderEta id), the date the reader last knew, to measure the move from
    instead of the first change's old date."""
    by_order: dict[int, list[EtaChange]] = {}
    for change in changes:
        by_order.setdefault(change.order_id, []).append(change)
    moved = []
    for order_changes in by_order.values():
        order_changes.sort(key=lambda c: (c.detected_at, c.pk))
        record = order_changes[0].order
        block = (orders or {}).get((record.instance, record.ref_no))
        moved.append(
            MovedOrder(
                ref_no=record.ref_no,
                reference=block.descn if block else "",
                member=record.customer_name if is_group else "",
                from_eta=(told or {}).get(record.pk, order_changes[0].from_eta),
                to_eta=order_changes[-1].to_eta,
                statuses=_statuses(block),
                likely=public_likely_text(block),
            )
        )
    return sorted(moved, key=lambda m: (m.to_eta, m.ref_no))


def due_orders(orders: dict[tuple[str, str], OrderBlock], *, today: date, is_group: bool) -> list[DueOrder]:
    """Open orders expected by DIGEST_DAYS from today (those past their date too), soonest first."""
    until = today + timedelta(days=DIGEST_DAYS)
    due = sorted((o for o in orders.values() if o.eta and o.eta <= until), key=lambda o: (o.eta, o.ref_no))
    return [
        DueOrder(
            ref_no=order.ref_no,
            reference=order.descn,
            member=order.customer if is_group else "",
            when=short_date(order.eta),
            relative=days_from_today(order.eta, today),
            overdue=order.eta < today,
            statuses=_statuses(order),
            likely=public_likely_text(order),
        )
        for order in due
    ]


def _message(
    subscription: Subscription, *, subject: str, template: str, context: dict, with_report_link: bool = True
) -> EmailMultiAlternatives:
    """An e-mail to the subscription's address. `with_report_link=False` for the confirmation: until
    the address is confirmed it may not be the one the customer meant, and the link opens their orders."""
    customer = subscription.customer
    context = {
        **context,
        "customer_name": customer.display_name,
        "brand": brand(),
        "report_url": report_url(customer) if with_report_link else "",
        "unsubscribe_url": unsubscribe_url(customer, subscription.pk),
    }
    message = EmailMultiAlternatives(
        subject=one_line(subject, 200),
        body=render_to_string(f"notifications/email/{template}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[subscription.email],
        headers={
            # RFC 8058: mail clients offer "unsubscribe" and POST this body to the link.
            "List-Unsubscribe": f"<{context['unsubscribe_url']}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
        },
    )
    message.attach_alternative(render_to_string(f"notifications/email/{template}.html", context), "text/html")
    return message


def confirmation_message(subscription: Subscription, request: ConfirmRequest) -> EmailMultiAlternatives:
    customer = subscription.customer
    context = {
        "confirm_url": confirm_url(customer, request),
        "alerts": request.alert_words if request.alerts else "",
        "digest": request.digest,
        "change": subscription.confirmed_at is not None,
        "days": CONFIRM_MAX_AGE.days,
    }
    subject = f"Confirm e-mail updates for {customer.display_name}'s orders"
    return _message(subscription, subject=subject, template="confirm", context=context, with_report_link=False)


def alert_message(subscription: Subscription, moved: list[MovedOrder]) -> EmailMultiAlternatives:
    customer = subscription.customer
    if len(moved) == 1:
        subject = f"Order {moved[0].ref_no} has a new date: {short_date(moved[0].to_eta)}"
    else:
        subject = f"{len(moved)} orders have new dates — {customer.display_name}"
    context = {"moved": moved, "changed_url": report_url(customer, "changed=recent")}
    return _message(subscription, subject=subject, template="alert", context=context)


def digest_message(
    subscription: Subscription, *, due: list[DueOrder] | None, moved: list[MovedOrder], now: datetime
) -> EmailMultiAlternatives:
    customer = subscription.customer
    today = timezone.localtime(now, business_tz()).date()
    if due is None:
        subject = f"Your orders this week — {customer.display_name}"
    else:
        subject = f"Due in the next two weeks: {len(due)} order{'s' if len(due) != 1 else ''} — {customer.display_name}"
    context = {
        "due": due,
        "moved": moved,
        "until": short_date(today + timedelta(days=DIGEST_DAYS)),
        "week_start": short_date(today - timedelta(days=7)),
    }
    return _message(subscription, subject=subject, template="digest", context=context)
