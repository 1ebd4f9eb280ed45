"""ETA history, read: what customers, tools and staff see of what history.recording recorded.

The customer page's moves, the API's list of changes, and where dates slip (staff).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db.models import DurationField, ExpressionWrapper, F, Q
from django.utils import timezone

from history.forecast import basis_for, forecast_table, likely_by
from history.models import EtaChange, OrderEta
from history.recording import chunks
from lib.clock import business_tz
from odata.models import UpstreamCache
from odata.targets import cache_key
from orders.rules import OrderBlock


def change_window_start(now: datetime | None = None) -> datetime:
    return (now or timezone.now()) - timedelta(days=settings.BUZ_ETA_CHANGE_DAYS)


def history_attach(orders: list[OrderBlock], *, now: datetime | None = None) -> list[OrderBlock]:
    """The orders with what history knows of them (first promise, last move). One read per account."""
    by_instance: dict[str, list[str]] = {}
    for order in orders:
        by_instance.setdefault(order.instance, []).append(order.ref_no)
    fields = ("ref_no", "first_eta", "current_eta", "previous_eta", "eta_changed_at", "first_seen_at")
    records: dict[tuple[str, str], tuple] = {}
    for instance, refs in by_instance.items():
        for chunk in chunks(refs):
            for row in OrderEta.objects.filter(instance=instance, ref_no__in=chunk).values_list(*fields):
                records[(instance, row[0])] = row
    recent_since = change_window_start(now)
    tz = business_tz()
    table = forecast_table()
    attached = []
    for order in orders:
        record = records.get((order.instance, order.ref_no))
        if record is None:
            attached.append(order)
            continue
        basis = basis_for(table, order.instance, (line.group for line in order.lines))
        _, first_eta, current_eta, previous_eta, changed_at, first_seen_at = record
        # The move is only told when the page shows the date history moved to (a cached page may be older).
        same = current_eta == order.eta and previous_eta is not None and changed_at is not None
        attached.append(
            replace(
                order,
                first_promised=first_eta,
                previous_eta=previous_eta if same else None,
                eta_changed_on=timezone.localtime(changed_at, tz).date() if same else None,
                moved_recently=same and changed_at >= recent_since,
                tracked_since=timezone.localtime(first_seen_at, tz).date(),
                likely_by=likely_by(order.eta, first_eta, basis),
                forecast=basis,
            )
        )
    return attached


def eta_revisions(orders: list[OrderBlock]) -> dict[tuple[str, str], int]:
    """How many times each order's date had moved when it came to the date shown (0: never).

    Counted up to the last move *to* the shown date, so a page older than history (cached)
    gets the revision of the date it shows, and a revision never falls when the date moves on.
    One read per account; orders history does not know are left out.
    """
    shown = {(order.instance, order.ref_no): order.eta for order in orders}
    by_instance: dict[str, list[str]] = {}
    for order in orders:
        by_instance.setdefault(order.instance, []).append(order.ref_no)
    revisions: dict[tuple[str, str], int] = {}
    for instance, refs in by_instance.items():
        for chunk in chunks(refs):
            moves = EtaChange.objects.filter(order__instance=instance, order__ref_no__in=chunk)
            counted: dict[str, int] = {}
            for ref_no, to_eta in moves.order_by("id").values_list("order__ref_no", "to_eta"):
                counted[ref_no] = counted.get(ref_no, 0) + 1
                if to_eta == shown[(instance, ref_no)]:
                    revisions[(instance, ref_no)] = counted[ref_no]
    return revisions


def customer_orders(customer) -> Q:
    """Which OrderEta rows are the customer's: returned by its fetches, or placed under its names."""
    wanted = Q(pk__in=[])
    for target in customer.fetch_targets:
        key = cache_key(target)
        names = {target.name.casefold()}
        if target.is_group:
            # Members are whoever BuzManager put in the group's rows: an order last seen
            # through a member's own link still belongs to the group.
            # (the names the cache entry keeps beside its rows: a big group's rows are not read for this).
            known = UpstreamCache.objects.filter(key=key).values_list("customer_names", flat=True).first()
            names = {name.casefold() for name in known or []} - {""}
        wanted |= Q(instance=target.instance) & (Q(seen_by=key) | Q(customer_key__in=names))
    return wanted


def eta_changes_for_customer(customer, *, since: datetime | None = None):
    """The customer's ETA changes, newest first (the API's eta-changes list)."""
    orders = OrderEta.objects.filter(customer_orders(customer))
    changes = EtaChange.objects.filter(order__in=orders).select_related("order")
    if since is not None:
        changes = changes.filter(detected_at__gte=since)
    return changes.order_by("-detected_at", "-id")


# --- where dates slip (staff) ----------------------------------------------------------------


@dataclass
class SlipWeek:
    start: date
    counts: dict[str, int]  # production line -> changes
    average_days: float  # mean days moved (later positive)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass
class Slippage:
    weeks: list[SlipWeek]
    lines: list[str]  # production lines with changes in the period, most changes first
    most_moved: list[OrderEta]  # open orders furthest from their first promise


def slippage(
    *, weeks: int = 12, instance: str = "", production_line: str = "", now: datetime | None = None, top: int = 20
) -> Slippage:
    """ETA changes per week (Monday to Sunday, business time) by production line, and the orders that moved most."""
    tz = business_tz()
    today = timezone.localtime(now or timezone.now(), tz).date()
    first_monday = today - timedelta(days=today.weekday(), weeks=weeks - 1)
    since = datetime.combine(first_monday, datetime.min.time(), tzinfo=tz)
    changes = EtaChange.objects.filter(detected_at__gte=since)
    orders = OrderEta.objects.open().filter(first_eta__isnull=False, current_eta__isnull=False)
    if instance:
        changes, orders = changes.filter(order__instance=instance), orders.filter(instance=instance)
    if production_line:
        changes = changes.filter(production_line=production_line)
        orders = orders.filter(production_line=production_line)

    buckets = {first_monday + timedelta(weeks=i): (Counter(), []) for i in range(weeks)}
    for detected_at, line, days in changes.values_list("detected_at", "production_line", "days"):
        day = timezone.localtime(detected_at, tz).date()
        counts, moved = buckets[day - timedelta(days=day.weekday())]
        counts[line or "Other"] += 1
        moved.append(days)
    totals: Counter[str] = Counter()
    for counts, _ in buckets.values():
        totals.update(counts)
    slipped = ExpressionWrapper(F("current_eta") - F("first_eta"), output_field=DurationField())
    most = orders.annotate(slipped=slipped).filter(slipped__gt=timedelta(0)).order_by("-slipped", "ref_no")[:top]
    return Slippage(
        weeks=[
            SlipWeek(start, dict(counts), round(sum(moved) / len(moved), 1) if moved else 0.0)
            for start, (counts, moved) in buckets.items()
        ],
        lines=[line for line, _ in totals.most_common()],
        most_moved=list(most),
    )
