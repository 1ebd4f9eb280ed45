"""The day's work for customer service (/staff/today): what is late, what moved, who needs a call.

Each list is one query (the customers, read once, name whose orders they are), and at most
LIST_LIMIT rows of each are shown beside its full count. Dates are business-time-zone days.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, F, Q, Sum, Window
from django.utils import timezone

from customers.models import Customer
from customers.selectors import CustomerIndex, UnmatchedName, customers_fetch_state
from history.forecast import basis_for, forecast_table, likely_by
from history.models import EtaChange, OrderEta
from lib.clock import business_today, business_tz
from notifications.models import Delivery, Subscription
from notifications.sending import MAX_FAILURES
from orders.wording import short_date, time_text

LIST_LIMIT = 200
MOVED_DAYS = 7
FAILING_FOR = timedelta(hours=1)


@dataclass
class OrderRow:
    pk: int
    instance: str
    ref_no: str
    customer_name: str  # BuzManager's, on the order
    line: str
    eta: date | None
    first_eta: date | None
    detail: str = ""  # "3 days late", "7 days later", "likely by Sat 19 Dec"
    seen_by: str = ""  # the cache key of the fetch that last returned it
    customer: Customer | None = None  # ours, when we know whose it is (CustomerIndex)


@dataclass
class OrderList:
    rows: list[OrderRow]
    total: int


@dataclass
class CustomerRow:
    customer: Customer
    problems: list[str]
    unmatched: list[UnmatchedName] = field(default_factory=list)


@dataclass
class Today:
    day: date
    overdue: OrderList
    moved_later: OrderList
    unscheduled: OrderList
    likely_late: OrderList
    customers: list[CustomerRow]
    sent_today: int
    failed_today: list[Delivery]


def today_worklist(*, now: datetime | None = None) -> Today:
    now = now or timezone.now()
    day = business_today(now)
    customers = list(Customer.objects.all())
    owners = CustomerIndex(customers)
    emails = Delivery.objects.filter(created_at__gte=datetime.combine(day, time(0), tzinfo=business_tz()))
    emails = list(emails.select_related("customer").order_by("-created_at"))
    return Today(
        day=day,
        overdue=_named(_overdue(day), owners),
        moved_later=_named(_moved_later(now), owners),
        unscheduled=_named(_unscheduled(now), owners),
        likely_late=_named(_likely_late(day), owners),
        customers=_customers_needing_attention(customers, now),
        sent_today=sum(1 for e in emails if e.status == Delivery.SENT),
        failed_today=[e for e in emails if e.status == Delivery.FAILED],
    )


_ORDER_FIELDS = ("pk", "instance", "ref_no", "customer_name", "production_line", "current_eta", "first_eta", "seen_by")


def _row(record: dict[str, Any], detail: str) -> OrderRow:
    return OrderRow(
        record["pk"], record["instance"], record["ref_no"], record["customer_name"], record["production_line"],
        record["current_eta"], record["first_eta"], detail, record["seen_by"],
    )  # fmt: skip


def _rows(query, words: Callable[[dict[str, Any]], str], *extra: str) -> OrderList:
    """The first LIST_LIMIT records of `query`, with its full count, in one query."""
    found = list(query.annotate(total=Window(Count("pk"))).values(*_ORDER_FIELDS, "total", *extra)[:LIST_LIMIT])
    return OrderList([_row(record, words(record)) for record in found], found[0]["total"] if found else 0)


def _days(n: int, side: str) -> str:
    return f"{n} day{'' if n == 1 else 's'} {side}"


def _overdue(day: date) -> OrderList:
    late = OrderEta.objects.open().filter(current_eta__lt=day).order_by("current_eta", "ref_no")
    return _rows(late, lambda r: _days((day - r["current_eta"]).days, "late"))


def _moved_later(now: datetime) -> OrderList:
    """Open orders whose date moved later, net, in the last MOVED_DAYS days, the biggest moves first."""
    since = now - timedelta(days=MOVED_DAYS)
    moves = EtaChange.objects.filter(detected_at__gte=since, order__closed_at__isnull=True)
    moved = (
        OrderEta.objects.filter(pk__in=moves.values("order_id"))
        .annotate(moved=Sum("changes__days", filter=Q(changes__detected_at__gte=since)))
        .filter(moved__gt=0)
        .order_by("-moved", "ref_no")
    )
    return _rows(moved, lambda r: _days(r["moved"], "later"), "moved")


def _unscheduled(now: datetime) -> OrderList:
    since = now - timedelta(days=settings.BUZ_UNSCHEDULED_DAYS)
    waiting = OrderEta.objects.open().filter(current_eta__isnull=True, first_seen_at__lt=since)
    waiting = waiting.annotate(seen=F("first_seen_at")).order_by("first_seen_at")
    return _rows(waiting, lambda r: f"no date since {short_date(business_today(r['seen']))}", "seen")


def _likely_late(day: date) -> OrderList:
    """Open orders whose likely-by date (history.forecast, from the order's main production line) is
    later than their ETA: those the factory's own record says will probably miss it."""
    table = forecast_table(day)
    if not table:
        return OrderList([], 0)
    dated = OrderEta.objects.open().filter(current_eta__gte=day, first_eta__isnull=False).order_by("current_eta")
    rows, total = [], 0
    for record in dated.values(*_ORDER_FIELDS):
        basis = basis_for(table, record["instance"], [record["production_line"]])
        likely = likely_by(record["current_eta"], record["first_eta"], basis)
        if likely and likely > record["current_eta"]:
            total += 1
            if len(rows) < LIST_LIMIT:
                rows.append(_row(record, f"likely by {short_date(likely)}"))
    return OrderList(rows, total)


def _named(orders: OrderList, owners: CustomerIndex) -> OrderList:
    for row in orders.rows:
        row.customer = owners.of(row.instance, row.customer_name, row.seen_by)
    return orders


def _customers_needing_attention(customers: list[Customer], now: datetime) -> list[CustomerRow]:
    states = customers_fetch_state(customers)
    paused = Subscription.objects.filter(
        confirmed_at__isnull=False, paused_at__isnull=False, failures__gte=MAX_FAILURES
    ).values_list("customer_id", flat=True)
    paused_count: dict[int, int] = {}
    for customer_id in paused:
        paused_count[customer_id] = paused_count.get(customer_id, 0) + 1
    needing = []
    for customer in customers:
        state = states[customer.pk]
        problems = [f"{u.instance} name “{u.name}” matched no orders in the last fetch" for u in state.unmatched]
        if state.failing_since and now - state.failing_since > FAILING_FOR:
            problems.append(f"fetching has failed since {time_text(state.failing_since)}")
        if paused_count.get(customer.pk):
            n = paused_count[customer.pk]
            problems.append(f"{n} e-mail subscription{'' if n == 1 else 's'} paused after failed sends")
        if problems:
            needing.append(CustomerRow(customer, problems, state.unmatched))
    return sorted(needing, key=lambda row: row.customer.display_name.casefold())
