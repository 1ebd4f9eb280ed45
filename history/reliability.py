"""Promise reliability (staff): how often the first date given held, by account, production line and month.

An order counts once it is done (history.recording sets its done day); it was on time when done on
or before its first promise. Read in one query over the finished orders of the period.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Q

from history.forecast import SlipStats
from history.models import OrderEta
from lib.clock import business_today


@dataclass
class LineStats(SlipStats):
    instance: str = ""
    line: str = ""


@dataclass
class MonthStats(SlipStats):
    month: date = date.min  # its first day


@dataclass
class Reliability:
    since: date  # the first day of the first month
    lines: list[LineStats] = field(default_factory=list)  # per account and production line, by name
    months: list[MonthStats] = field(default_factory=list)  # every month of the period, oldest first
    total: SlipStats = field(default_factory=SlipStats)


def _month_start(day: date, back: int = 0) -> date:
    index = day.year * 12 + day.month - 1 - back
    return date(index // 12, index % 12 + 1, 1)


def promise_reliability(
    *, months: int = 6, instance: str = "", production_line: str = "", orders: Q | None = None, today=None
) -> Reliability:
    """The last `months` calendar months (this one included) of finished orders, optionally one
    account's, one line's, or those matching `orders` (a customer's: history.selectors.customer_orders)."""
    today = today or business_today()
    since = _month_start(today, months - 1)
    done = OrderEta.objects.filter(done_on__gte=since, done_on__lte=today, first_eta__isnull=False)
    if instance:
        done = done.filter(instance=instance)
    if production_line:
        done = done.filter(production_line=production_line)
    if orders is not None:
        done = done.filter(orders)
    result = Reliability(since=since)
    by_month = {_month_start(today, back): MonthStats(month=_month_start(today, back)) for back in range(months)}
    by_line: dict[tuple[str, str], LineStats] = {}
    for account, line, first_eta, done_on in done.values_list("instance", "production_line", "first_eta", "done_on"):
        slip = (done_on - first_eta).days
        by_month[_month_start(done_on)].add(slip)
        by_line.setdefault((account, line), LineStats(instance=account, line=line or "Other")).add(slip)
        result.total.add(slip)
    result.months = sorted(by_month.values(), key=lambda m: m.month)
    result.lines = sorted(by_line.values(), key=lambda s: (s.instance, s.line))
    return result
