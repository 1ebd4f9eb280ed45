"""Dates customers can plan on: "likely by", from how the factory's own dates held (README, "Dates you can plan on").

An order is done on the day it was first seen finished or gone, or with every line in a
"ready" status; its slip is that day minus the first date promised. For an open order, q is
the 80th percentile (nearest rank) of the slips of the same account and production line
done in the last BUZ_FORECAST_DAYS, with at least BUZ_FORECAST_MIN_ORDERS of them; with fewer,
the same over every line of the account; with fewer still, none. An order on several lines
takes the largest q. likely_by = max(ETA, first promised + q), when q ≥ 1.

The table of q is worked out once per report build (per data version), never per page view.
"""

from __future__ import annotations

import math
import threading
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.conf import settings
from django.db.models import Count, DurationField, ExpressionWrapper, F

from history.models import OrderEta
from lib.clock import business_today

ALL_LINES = ""  # the account-wide basis, where a line has too few finished orders


@dataclass(frozen=True)
class Basis:
    """What a forecast stands on: `orders` finished orders of `line` (ALL_LINES: the account's),
    8 in 10 of which were done within `q_days` of their first promise."""

    instance: str
    line: str
    orders: int
    q_days: int

    def as_data(self) -> dict:
        return {"line": self.line or None, "orders": self.orders, "q_days": self.q_days}


def nearest_rank(slips: list[int], share: float = 0.8) -> int:
    """The ceil(share·n)-th smallest slip (nearest-rank percentile)."""
    ordered = sorted(slips)
    return ordered[max(1, math.ceil(share * len(ordered))) - 1]


def bases_from(slips_by_line: dict[tuple[str, str], list[int]], *, min_orders: int) -> dict[tuple[str, str], Basis]:
    """Each (account, line) with enough finished orders, and each account's all-lines basis, by rule."""
    table: dict[tuple[str, str], Basis] = {}
    by_account: dict[str, list[int]] = defaultdict(list)
    for (instance, line), slips in slips_by_line.items():
        by_account[instance] += slips
        if line and len(slips) >= min_orders:
            table[(instance, line)] = Basis(instance, line, len(slips), nearest_rank(slips))
    for instance, slips in by_account.items():
        if len(slips) >= min_orders:
            table[(instance, ALL_LINES)] = Basis(instance, ALL_LINES, len(slips), nearest_rank(slips))
    return table


def finished_slips(*, until: date, days: int, instance: str | None = None) -> dict[tuple[str, str], list[int]]:
    """Slips (days) of orders done in the `days` before `until`, by (account, production line).

    Counted by the database, (account, line, slip) at a time: a busy factory's half year of
    finished orders comes back as a few hundred rows, not tens of thousands."""
    done = OrderEta.objects.filter(done_on__gt=until - timedelta(days=days), done_on__lte=until)
    done = done.filter(first_eta__isnull=False)
    if instance:
        done = done.filter(instance=instance)
    slip = ExpressionWrapper(F("done_on") - F("first_eta"), output_field=DurationField())
    counted = done.values("instance", "production_line", slip=slip).annotate(orders=Count("id")).order_by()
    slips: dict[tuple[str, str], list[int]] = defaultdict(list)
    for row in counted.values_list("instance", "production_line", "slip", "orders"):
        account, line, late, orders = row
        slips[(account, line)] += [late.days] * orders
    return slips


_table_lock = threading.Lock()
_table_memo: dict[tuple, tuple[float, dict[tuple[str, str], Basis]]] = {}


def forecast_table(today: date | None = None) -> dict[tuple[str, str], Basis]:
    """The bases of every forecast now: one read of the finished orders in the window, kept by
    the process for FORECAST_MEMO_SECONDS (half a year of finished orders barely moves in minutes,
    and every customer's report build asks)."""
    today = today or business_today()
    key = (today, settings.BUZ_FORECAST_DAYS, settings.BUZ_FORECAST_MIN_ORDERS)
    with _table_lock:
        kept = _table_memo.get(key)
        if kept and kept[0] > time.monotonic():
            return kept[1]
    slips = finished_slips(until=today, days=settings.BUZ_FORECAST_DAYS)
    table = bases_from(slips, min_orders=settings.BUZ_FORECAST_MIN_ORDERS)
    if settings.FORECAST_MEMO_SECONDS:
        with _table_lock:
            _table_memo.clear()  # one entry: yesterday's is never asked again
            _table_memo[key] = (time.monotonic() + settings.FORECAST_MEMO_SECONDS, table)
    return table


def forecast_table_forget() -> None:
    """Work the table out afresh next time (finished orders were just imported)."""
    with _table_lock:
        _table_memo.clear()


def basis_for(table: dict[tuple[str, str], Basis], instance: str, lines: Iterable[str]) -> Basis | None:
    """The basis of an order on these production lines: the largest q of its lines that have one,
    else its account's; None when neither has enough finished orders."""
    found = [table[(instance, line)] for line in set(lines) if line and (instance, line) in table]
    if found:
        return max(found, key=lambda basis: basis.q_days)
    return table.get((instance, ALL_LINES))


def likely_by(eta: date | None, first_promised: date | None, basis: Basis | None) -> date | None:
    """max(ETA, first promised + q) when there is an ETA, a first promise and q ≥ 1; else none."""
    if eta is None or first_promised is None or basis is None or basis.q_days < 1:
        return None
    return max(eta, first_promised + timedelta(days=basis.q_days))


# --- the backtest ---------------------------------------------------------------------------------------


@dataclass
class SlipStats:
    """How a set of finished orders' first promises held."""

    finished: int = 0
    on_time: int = 0  # done on or before their first promise
    slips: list[int] = field(default_factory=list)

    def add(self, slip: int) -> None:
        self.finished += 1
        self.on_time += slip <= 0
        self.slips.append(slip)

    @property
    def on_time_share(self) -> float:
        return self.on_time / self.finished if self.finished else 0.0

    @property
    def median(self) -> int:
        ordered = sorted(self.slips)
        return ordered[(len(ordered) - 1) // 2] if ordered else 0

    @property
    def p80(self) -> int:
        return nearest_rank(self.slips) if self.slips else 0


@dataclass
class BacktestLine(SlipStats):
    instance: str = ""
    line: str = ""
    forecast: int = 0  # had a likely_by at their first promise
    covered: int = 0  # done by the date they would have been told to plan on

    @property
    def covered_share(self) -> float:
        return self.covered / self.finished if self.finished else 0.0


def backtest(*, days: int | None = None, today: date | None = None) -> list[BacktestLine]:
    """For every order done in the last `days` (BUZ_FORECAST_DAYS): was it done by the date the rule
    would have given it at its first promise, using only orders done before then? Per account and line.

    An order the rule had no basis for (too little history yet) is judged by its first promise, the
    date it was told. Orders are replayed in the order they were first seen."""
    today = today or business_today()
    days = days or settings.BUZ_FORECAST_DAYS
    window = settings.BUZ_FORECAST_DAYS
    records = list(
        OrderEta.objects.filter(done_on__isnull=False, first_eta__isnull=False)
        .order_by("done_on", "pk")
        .values_list("instance", "production_line", "first_eta", "done_on", "first_seen_at")
    )
    tables: dict[date, dict[tuple[str, str], Basis]] = {}  # what the rule knew on each day an order was promised
    lines: dict[tuple[str, str], BacktestLine] = {}
    for instance, line, first_eta, done_on, first_seen_at in records:
        if done_on <= today - timedelta(days=days):
            continue
        promised_on = business_today(first_seen_at)
        if promised_on not in tables:
            known = _done_before(records, before=promised_on, window=window)
            tables[promised_on] = bases_from(known, min_orders=settings.BUZ_FORECAST_MIN_ORDERS)
        basis = basis_for(tables[promised_on], instance, [line])
        plan_on = likely_by(first_eta, first_eta, basis) or first_eta
        result = lines.setdefault((instance, line), BacktestLine(instance=instance, line=line))
        result.add((done_on - first_eta).days)
        result.forecast += plan_on != first_eta
        result.covered += done_on <= plan_on
    return sorted(lines.values(), key=lambda r: (r.instance, r.line))


def _done_before(records, *, before: date, window: int) -> dict[tuple[str, str], list[int]]:
    slips: dict[tuple[str, str], list[int]] = defaultdict(list)
    for instance, line, first_eta, done_on, _ in _between(records, before - timedelta(days=window), before):
        slips[(instance, line)].append((done_on - first_eta).days)
    return slips


def _between(records, start: date, end: date) -> Iterator[tuple]:
    """Records done after `start` and before `end` (records are sorted by their done day)."""
    for record in records:
        if record[3] >= end:
            return
        if record[3] > start:
            yield record
