"""A customer's report: what each account gave, through the rules of orders.rules, ready for a page, an
export or the API. The module of `reports` that reads `odata`'s fetch results into a Report; the page,
exports, jobs and services take theirs from here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

from django.conf import settings
from django.utils import timezone

from customers.models import Customer
from history.selectors import history_attach
from lib.clock import business_today, business_tz
from lib.memo import WeightedMemo
from odata.errors import ODataError, UpstreamTimeout, UpstreamUnavailable
from odata.services import CachedRowsGone as CachedRowsGone  # re-exported for views and services
from odata.services import (
    FetchResult,
    Source,
    cache_peek,
    fetch_targets,
    in_blackout,
    results_restore,
)
from orders.filters import ReportFilters, filter_options, filter_orders
from orders.rules import OrderBlock, build_orders
from orders.wording import clock_text, likely_words, time_text
from statuses.selectors import status_names_active


def _blackout_text() -> str:
    start, end = (clock_text(t) for t in settings.BUZ_BLACKOUT)
    return f"It is closed for reporting every day from {start} to {end} ({settings.BUZ_TIMEZONE} time)"


def upstream_message(error: ODataError) -> str:
    """What a customer is told when there is no data: what happened, when to retry."""
    if isinstance(error, UpstreamUnavailable):
        if settings.BUZ_BLACKOUT and in_blackout():
            end = clock_text(settings.BUZ_BLACKOUT[1])
            return (
                f"Our production system is not answering right now. {_blackout_text()}; please try again after {end}."
            )
        return "Our production system is not answering right now. Please try again in a few minutes."
    if isinstance(error, UpstreamTimeout):
        return "Our production system took too long to answer. Please try again in a few minutes."
    return "We could not get your orders from our production system just now. Please try again in a few minutes."


def cached_reason(result: FetchResult) -> str:
    """Why a customer is looking at a cached copy, in their words."""
    if result.reason == "blackout":
        until = clock_text(settings.BUZ_BLACKOUT[1])
        return f"Our production system is offline for reporting until {until}; we'll refresh then."
    if isinstance(result.error, UpstreamTimeout):
        return "Our production system is answering too slowly right now."
    return "Our production system is not answering right now."


class ReportUnavailable(Exception):
    """No data to show: what to tell the customer, the page's HTTP status, and when to ask again."""

    def __init__(self, message: str, *, http_status: int = 502, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.http_status = http_status
        self.retry_after = retry_after  # seconds, for a Retry-After header

    @classmethod
    def from_error(cls, error: ODataError, *, retry_at: datetime | None = None) -> ReportUnavailable:
        wait = max(1, int((retry_at - timezone.now()).total_seconds())) if retry_at else DEFAULT_RETRY_SECONDS
        return cls(upstream_message(error), http_status=error.http_status, retry_after=wait)


# When a customer or a tool may ask again after a failure that names no time of its own.
DEFAULT_RETRY_SECONDS = 60


# The words pages and the API use for where an account's part came from (API: meta.sources[].state).
SOURCE_STATES = {
    Source.LIVE: "live",
    Source.FRESH: "live",
    Source.CACHED: "cached",
    Source.STALE: "stale",
    Source.NONE: "failed",
}


@dataclass
class SourceInfo:
    """Where one supplier's part of the report came from."""

    instance: str
    source: Source
    fetched_at: datetime | None = None
    message: str = ""
    retry_at: datetime | None = None  # BuzManager is not asked again before this
    reason: str = ""  # why cached data is shown: "blackout", "cooldown" or an error kind

    @property
    def state(self) -> str:
        return SOURCE_STATES[self.source]


@dataclass
class Report:
    customer_name: str
    obfuscated_id: str
    is_group: bool
    orders: list[OrderBlock]  # every open order; the page and the export keep those the filters match
    sources: list[SourceInfo]
    generated_at: datetime
    filters: ReportFilters = field(default_factory=ReportFilters)
    data_version: str = ""  # changes whenever the orders could: a fetch, a status name, a new day

    @cached_property
    def visible_orders(self) -> list[OrderBlock]:
        return filter_orders(self.orders, self.filters)

    @property
    def order_count(self) -> int:
        return len(self.visible_orders)

    @property
    def line_count(self) -> int:
        return sum(len(o.lines) for o in self.visible_orders)

    @cached_property
    def options(self) -> dict[str, list[str]]:
        return self.derived("options", lambda: filter_options(self.orders))

    def derived(self, name: str, compute: Callable[[], Any]) -> Any:
        """A value computed from all the orders, kept per data version in this process (the menus
        and stage counts of a 50,000-line customer are not recounted for every page)."""
        key = (self.data_version, name)
        if not self.data_version or (value := _derived_memo.get(key)) is None:
            value = compute()
            if self.data_version:
                _derived_memo.put(key, value, 1)
        return value

    @property
    def failed_sources(self) -> list[SourceInfo]:
        return [s for s in self.sources if s.source == Source.NONE]

    @property
    def cached_sources(self) -> list[SourceInfo]:
        return [s for s in self.sources if s.source == Source.CACHED]

    @property
    def source_summary(self) -> str:
        """live, cached or mixed: where the shown data came from, in one word."""
        return source_summary(s.source for s in self.sources)

    @property
    def data_as_of(self) -> datetime | None:
        """When the oldest part of the shown data was fetched from BuzManager."""
        times = [s.fetched_at for s in self.sources if s.fetched_at]
        return min(times) if times else None


def _source_info(result: FetchResult) -> SourceInfo:
    instance = result.target.instance
    if result.source == Source.NONE:
        assert result.error is not None
        message = upstream_message(result.error)
    elif result.source == Source.CACHED:
        message = cached_reason(result)
    else:
        message = ""
    return SourceInfo(
        instance, result.source, result.fetched_at, message=message, retry_at=result.retry_at, reason=result.reason
    )


def source_summary(sources: Iterable[Source]) -> str:
    """live, cached or mixed: where the data shown came from, in one word (accounts with none left out)."""
    states = {"live" if source.is_current else "cached" for source in sources if source != Source.NONE}
    return states.pop() if len(states) == 1 else "mixed"


def results_check(results: list[FetchResult]) -> None:
    """Raise ReportUnavailable when no account has data (some is enough: the report labels each part)."""
    if results and not any(r.has_data for r in results):
        failed = next((r for r in results if r.error), None)
        error = failed.error if failed else ODataError("no data")
        raise ReportUnavailable.from_error(error, retry_at=failed.retry_at if failed else None)


def report_from_results(
    *, customer: Customer, results: list[FetchResult], filters: ReportFilters | None = None
) -> Report:
    """The report from what each account gave (live, cached or stored with a job).

    Raises ReportUnavailable when no account has data; when only some have,
    the report holds what there is and labels each part.
    """
    results_check(results)
    orders, version = _orders(results)
    return Report(
        customer_name=customer.display_name,
        obfuscated_id=customer.obfuscated_id,
        is_group=customer.is_group,
        orders=orders,
        data_version=version,
        sources=[_source_info(r) for r in results],
        generated_at=timezone.now(),
        filters=filters or ReportFilters(),
    )


# Built orders per data version, per process: a big customer's 50,000 lines are grouped once per
# fetch, not on every page, filter or export. Bounded by the lines held (REPORT_MEMO_LINES).
_orders_memo = WeightedMemo(lambda: settings.REPORT_MEMO_LINES)
# Values derived from all the orders (menus, stage counts), one unit each, while the memos are on.
_derived_memo = WeightedMemo(lambda: 256 if settings.REPORT_MEMO_LINES else 0)


def _orders(results: list[FetchResult]) -> tuple[list[OrderBlock], str]:
    """The open orders in what the accounts gave, with their ETA history, and a
    version string that changes whenever they could."""
    status_names = status_names_active()
    version = (
        tuple((r.target.instance, r.target.name, r.target.is_group, r.fetched_at) for r in results if r.has_data),
        tuple(sorted(status_names.items())),
        business_today(),  # "today" decides plausible dates and recent moves
    )
    digest = hashlib.sha256(repr(version).encode()).hexdigest()
    if (orders := _orders_memo.get(version)) is not None:
        return orders, digest
    rows = [row for result in results for row in result.rows]
    orders = build_orders(
        rows, status_names=status_names, finished_statuses=settings.BUZ_FINISHED_STATUSES, tz=business_tz()
    )
    orders = history_attach(orders)
    _orders_memo.put(version, orders, len(rows))
    return orders, digest


def account_label(instance: str) -> str:
    """The customer-facing name of a BuzManager account (BUZ_DD_LABEL, BUZ_CBR_LABEL)."""
    return settings.BUZ_ACCOUNT_LABELS.get(instance, instance)


def likely_text(order: OrderBlock) -> str:
    """`Likely by Fri 19 Dec — 8 in 10 Shutters orders were ready within 7 days …` when the forecast
    is later than the order's ETA, else blank. Whether the reader may see it is the caller's to say."""
    if not order.likely_by or not order.eta or order.likely_by <= order.eta or order.forecast is None:
        return ""
    basis = order.forecast
    return likely_words(order.likely_by, q_days=basis.q_days, line=basis.line, account=account_label(order.instance))


def describe_fetch(result: FetchResult, *, one_of_several: bool) -> str:
    """One line of the loading page's log for what an account gave, in the customer's words."""
    whose = f"Orders from {account_label(result.target.instance)}" if one_of_several else "Your orders"
    if result.source.is_current:
        count = len(result.rows)
        return f"{whose}: {count} line{'' if count == 1 else 's'} received"
    if result.has_data:
        when = time_text(result.fetched_at)
        return f"{whose}: our production system is not answering, so we are using our copy from {when}"
    return f"{whose}: our production system is not answering"


def report_fetch(*, customer: Customer, on_done: Callable[[FetchResult], None] | None = None) -> list[FetchResult]:
    """What each of the customer's accounts gives under the fetch policy, in parallel (the job's upstream call)."""
    return fetch_targets(customer.fetch_targets, on_done=on_done)


def report_peek(*, customer: Customer) -> list[FetchResult]:
    """What each account can give without calling upstream now (`needs_live` says whether it would)."""
    return [cache_peek(t) for t in customer.fetch_targets]


def results_to_json(results: list[FetchResult]) -> list[dict]:
    return [r.to_json() for r in results]


def results_from_json(data: list[dict] | None) -> list[FetchResult]:
    """A job's kept results, rows read back from the cache (CachedRowsGone when cleared since)."""
    return results_restore(data or [])


def report_as_data(report: Report) -> dict:
    """The report as plain JSON-ready data (the API), filtered like the page."""
    return {
        "customer": report.customer_name,
        "order_count": report.order_count,
        "line_count": report.line_count,
        "orders": [
            {
                "supplier": order.instance,
                "order_no": order.ref_no,
                "reference": order.descn,
                "customer": order.customer,
                "expected": order.eta.isoformat() if order.eta else None,
                "expected_display": order.eta_display,
                "first_promised": _iso_date(order.first_promised),
                "previous_eta": _iso_date(order.previous_eta),
                "eta_changed_at": _iso_date(order.eta_changed_on),
                "likely_by": _iso_date(order.likely_by),
                "forecast_basis": order.forecast.as_data() if order.forecast and order.likely_by else None,
                "lines": [
                    {"line": line.line_no, "item": line.item, "group": line.group, "status": line.status}
                    for line in order.lines
                ],
            }
            for order in report.visible_orders
        ],
    }


def _iso_date(day) -> str | None:
    return day.isoformat() if day else None


def report_meta(report: Report) -> dict:
    refreshed = report.data_as_of
    return {
        "source": report.source_summary,
        "refreshed_at": refreshed.isoformat() if refreshed else None,
        "sources": [
            {
                "supplier": s.instance,
                "state": s.state,
                "fetched_at": s.fetched_at.isoformat() if s.fetched_at else None,
                "message": s.message or None,
            }
            for s in report.sources
        ],
    }
