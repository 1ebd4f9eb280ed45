"""The customer page's reading of a report: the answer first, then one page of orders.

Plain data for the template: the next delivery, the stages, one calm line about
how old the data is, the menus, and the orders of the current page (filtered and
searched on the server, so a huge customer's first screen stays small). A page holds
up to 100 orders, so most customers' page is their whole list (and prints whole); the
printable full report is /sync/ (`page=None`), bounded in print by BUZ_PRINT_MAX_ORDERS.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass
from functools import cached_property
from urllib.parse import urlencode

from django.conf import settings
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from history.selectors import change_window_start
from lib.clock import business_today
from orders.filters import SEARCH_KEY, by_spelling
from orders.rules import OrderBlock, ReportLine
from orders.wording import days_from_today, format_date, move_words, short_date, time_text, when_text
from reports.report import Report, SourceInfo, account_label, likely_text

# A page holds whole orders: up to this many, and stops adding orders past this many lines.
PAGE_MAX_ORDERS = 100
PAGE_MAX_LINES = 1000


@dataclass
class NextDelivery:
    order: OrderBlock
    when: str  # Thu 26 Nov
    relative: str  # in 3 days
    overdue: bool


@dataclass
class Stage:
    status: str
    lines: int
    query: str  # the page's address filtered to this status


@dataclass
class MenuOption:
    value: str
    label: str
    selected: bool


@dataclass
class Menu:
    key: str
    label: str
    options: list[MenuOption]


@dataclass
class Pager:
    number: int
    count: int
    first: int  # 1-based position of the page's first order among the matching orders
    last: int
    total: int
    previous_query: str | None
    next_query: str | None


class ReportPage:
    """What the customer page shows of `report`; `page=None` shows every order (the printable /sync/ page)."""

    def __init__(
        self,
        report: Report,
        *,
        query: list[tuple[str, str]],
        page: int | None = 1,
        printing: bool = False,
        forecast: bool = True,
    ) -> None:
        self.report = report
        self.query = query  # the filters, under today's names, for links
        self.page_number = page
        self.printing = printing  # the full report asked for to print: bounded by BUZ_PRINT_MAX_ORDERS
        self.forecast = forecast  # "likely by" shown (BUZ_FORECAST_PUBLIC, or staff)
        self.today = business_today()

    # --- the answer first ------------------------------------------------------------------------

    @cached_property
    def next_delivery(self) -> NextDelivery | None:
        """The soonest of the orders shown: with a filter on, of those it keeps (none: no card)."""
        dated = [o for o in self.report.visible_orders if o.eta]
        if not dated:
            return None
        upcoming = [o for o in dated if o.eta >= self.today]
        order = min(upcoming or dated, key=lambda o: o.eta)
        return NextDelivery(order, short_date(order.eta), days_from_today(order.eta, self.today), not upcoming)

    @cached_property
    def moved_orders(self) -> int:
        """Orders whose ETA moved within BUZ_ETA_CHANGE_DAYS."""
        return sum(1 for o in self.report.orders if o.moved_recently)

    @cached_property
    def moves_window(self) -> str:
        """Which moves the page counts, in words: `in the last 14 days`, or `since we started tracking
        on 7 Dec 2026` when that is later (a move cannot be known from before)."""
        window_start = business_today(change_window_start())
        tracked = [o.tracked_since for o in self.report.orders if o.tracked_since]
        started = min(tracked) if tracked else self.today
        if started > window_start:
            return f"since we started tracking on {format_date(started)}"
        return f"in the last {settings.BUZ_ETA_CHANGE_DAYS} days"

    @property
    def changed_query(self) -> str:
        return urlencode({"changed": "recent"})

    def move_text(self, order: OrderBlock) -> str:
        """`Moved from 12 Dec 2026 to 19 Dec 2026 — 7 days later, 3 days ago`; blank if not recent."""
        if not order.moved_recently or not order.previous_eta or not order.eta:
            return ""
        return f"{move_words(order.previous_eta, order.eta)}, {days_from_today(order.eta_changed_on, self.today)}"

    def likely_text(self, order: OrderBlock) -> str:
        return likely_text(order) if self.forecast else ""

    @cached_property
    def content_version(self) -> str:
        """Changes exactly when what the page shows could (not when the same data is fetched again):
        a background refresh that changes nothing leaves the page alone."""
        return self.report.derived("content", self._content_digest)

    def _content_digest(self) -> str:
        digest = hashlib.sha256()
        for order in self.report.orders:
            digest.update(repr((order.key, order.eta, order.descn, order.previous_eta, order.moved_recently)).encode())
            for line in order.lines:
                digest.update(repr((line.line_no, line.item, line.status, line.quantity, line.room)).encode())
        return digest.hexdigest()[:16]

    @cached_property
    def undated_orders(self) -> int:
        return sum(1 for o in self.report.orders if not o.eta)

    @cached_property
    def stages(self) -> list[Stage]:
        """Lines per status, most first; each links to the page filtered to it."""
        return self.report.derived("stages", self._count_stages)

    def _count_stages(self) -> list[Stage]:
        counts = Counter(line.status for order in self.report.orders for line in order.lines if line.status)
        return [Stage(status, lines, urlencode({"status": status})) for status, lines in by_spelling(counts)]

    @cached_property
    def data_note(self) -> dict:
        """One calm line about the data's age: "Updated 9:30 am (our cached copy). Our production
        system is offline for reporting until 4 pm; we'll refresh then." Each part says whose orders
        it means only when the customer's accounts differ."""
        report = self.report
        cached, failed = report.cached_sources, report.failed_sources
        as_of = report.data_as_of or report.generated_at
        retry = [s.retry_at for s in (*cached, *failed) if s.retry_at]
        again = f" We'll try again after {time_text(max(retry), with_day=False)}." if retry else ""
        # "Updated" is when the freshest part came; a cached part says its own time.
        current = [s.fetched_at for s in report.sources if s.fetched_at and s not in cached]
        updated = when_text(max(current)) if current else when_text(as_of)
        note = {"updated": f"Updated {updated}.", "as_of": time_text(as_of), "cached": "", "failed": ""}
        if cached:
            oldest = min(cached, key=lambda s: s.fetched_at or as_of)
            refreshes_itself = all(s.reason == "blackout" for s in cached)  # the message says when
            if len(cached) == len(report.sources):
                note["updated"] = ""
                note["cached"] = f"Updated {when_text(oldest.fetched_at)} (our cached copy). {oldest.message}"
            else:
                note["cached"] = (
                    f"{self._whose(cached)}: our cached copy of {when_text(oldest.fetched_at)}. {oldest.message}"
                )
            note["cached"] += "" if refreshes_itself else again
        if failed:
            note["failed"] = f"{self._whose(failed)} are missing from this page. {failed[0].message}{again}"
        return note

    def _whose(self, sources: list[SourceInfo]) -> str:
        """'Your orders', or 'Orders from <label>' when only some of the customer's accounts are meant."""
        if len(sources) == len(self.report.sources):
            return "Your orders"
        return " and ".join(f"Orders from {account_label(s.instance)}" for s in sources)

    # --- menus ---------------------------------------------------------------------------------------

    @cached_property
    def menus(self) -> list[Menu]:
        """Status and group always; the factory only when the orders come from both."""
        options = self.report.options
        menus = []
        for key, label in (("status", "Status"), ("group", "Product"), ("supplier", "Made by")):
            values = options[key]
            if key == "supplier" and len(values) < 2:
                continue
            chosen = getattr(self.report.filters, key)
            known = {v.casefold() for v in values}
            items = [MenuOption(v, self._option_label(key, v), v.casefold() in chosen) for v in values]
            # A value from the URL that matches nothing stays visible, so the menu tells the truth.
            given = [v for k, v in self.query if k == key and v.casefold() not in known]
            items += [MenuOption(v, f"{v} (no orders)", True) for v in given]
            menus.append(Menu(key, label, items))
        return menus

    @staticmethod
    def _option_label(key: str, value: str) -> str:
        return account_label(value) if key == "supplier" else value

    @property
    def search(self) -> str:
        return next((v for k, v in self.query if k == SEARCH_KEY), "")

    @property
    def filtering(self) -> bool:
        return self.report.filters.active

    @cached_property
    def filter_words(self) -> str:
        """What the filters ask for, in words: `status "Sewing" and "Packed"`."""
        parts = []
        for key, label in (("status", "status"), ("group", "product"), ("supplier", "made by")):
            values = [self._option_label(key, v) for k, v in self.query if k == key]
            if values:
                parts.append(f"{label} " + " or ".join(f"“{v}”" for v in values))
        if self.search:
            parts.append(f"“{self.search}”")
        if self.report.filters.changed:
            parts.append(f"a new date {self.moves_window}")
        return ", ".join(parts)

    # --- the orders of this page ---------------------------------------------------------------------

    @cached_property
    def print_left_out(self) -> int:
        """Orders past BUZ_PRINT_MAX_ORDERS that a printout of the full report leaves out."""
        return max(0, len(self.report.visible_orders) - settings.BUZ_PRINT_MAX_ORDERS)

    @cached_property
    def _pages(self) -> list[list[OrderBlock]]:
        orders = self.report.visible_orders
        if self.page_number is None:
            return [orders[: settings.BUZ_PRINT_MAX_ORDERS] if self.printing else orders]
        pages: list[list[OrderBlock]] = [[]]
        lines = 0
        for order in orders:
            current = pages[-1]
            if current and (len(current) >= PAGE_MAX_ORDERS or lines + len(order.lines) > PAGE_MAX_LINES):
                pages.append([])
                lines = 0
            pages[-1].append(order)
            lines += len(order.lines)
        return pages

    @cached_property
    def pager(self) -> Pager:
        count = len(self._pages)
        number = min(max(self.page_number or 1, 1), count)
        before = sum(len(p) for p in self._pages[: number - 1])
        shown = len(self._pages[number - 1])
        filters = [(k, v) for k, v in self.query if k != "page"]

        def link(n: int) -> str:
            return urlencode(filters + ([("page", str(n))] if n > 1 else []))

        return Pager(
            number=number,
            count=count,
            first=before + 1 if shown else 0,
            last=before + shown,
            total=len(self.report.visible_orders),
            previous_query=link(number - 1) if number > 1 else None,
            next_query=link(number + 1) if number < count else None,
        )

    @cached_property
    def orders(self) -> list[dict]:
        """The page's orders, each with what its header needs."""
        ambiguous = self._ambiguous_refs
        shown = []
        for order in self._pages[self.pager.number - 1]:
            statuses = Counter(line.status for line in order.lines if line.status)
            shown.append(
                {
                    "order": order,
                    "when": short_date(order.eta) if order.eta else "",
                    "relative": days_from_today(order.eta, self.today) if order.eta else "",
                    "overdue": bool(order.eta and order.eta < self.today),
                    "stages": statuses.most_common(),
                    "label": account_label(order.instance) if order.ref_no in ambiguous else "",
                    "all_lines": len(self._all_lines.get(order.key, order.lines)),
                    "moved": self.move_text(order),
                    "likely": self.likely_text(order),
                    "rows": line_rows(order.lines),
                }
            )
        return shown

    @property
    def print_query(self) -> str:
        """The page's filters, for the full report to print (/sync/?…&print=1)."""
        return urlencode([(k, v) for k, v in self.query if k != "page"] + [("print", "1")])

    @cached_property
    def _all_lines(self) -> dict[str, list]:
        return {o.key: o.lines for o in self.report.orders} if self.filtering else {}

    @cached_property
    def _ambiguous_refs(self) -> set[str]:
        """Order numbers that both accounts use for this customer: only there is the factory named."""
        accounts: dict[str, set[str]] = {}
        for order in self.report.orders:
            accounts.setdefault(order.ref_no, set()).add(order.instance)
        return {ref for ref, instances in accounts.items() if len(instances) > 1}


def line_rows(lines: list[ReportLine]) -> SafeString:
    """An order's lines as table rows. Built here rather than in a template loop: on a page of a
    hundred orders, the template's per-value lookups were most of the time a cold report took."""
    return format_html_join(
        "",
        '<tr data-line data-status="{}" data-group="{}"><td class="line-no">{}</td>'
        '<td class="item">{}{}</td><td class="qty">{}</td><td class="room">{}</td>'
        '<td class="line-status"><span class="status">{}</span></td></tr>',
        (
            (
                line.status,
                line.group,
                line.line_no,
                line.item,
                format_html(' <span class="group">{}</span>', line.group) if line.group else "",
                line.quantity,
                line.room,
                line.status,
            )
            for line in lines
        ),
    )
