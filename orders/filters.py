"""Report filters (README, "The report"): what a customer's query string asks for, and the menus to ask with.

Plain functions over the orders of orders.rules; nothing here touches the database.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from orders.rules import OrderBlock, ReportLine

FILTER_KEYS = ("status", "group", "supplier")
SEARCH_KEY = "q"
CHANGED_KEY = "changed"  # ?changed=recent: only orders whose ETA moved within BUZ_ETA_CHANGE_DAYS
# The Flask app's names, still in links customers shared. A new name wins when both are given;
# the old menus' "All" meant no filter.
LEGACY_FILTER_KEYS = {"statusFilter": "status", "groupFilter": "group", "supplierFilter": "supplier"}
LEGACY_NO_FILTER = {"", "all"}


def filter_query(query: Mapping[str, list[str]]) -> list[tuple[str, str]]:
    """The filter part of a query string under today's names, values as given (old names translated)."""
    pairs = []
    search = [v for v in query.get(SEARCH_KEY, ()) if v.strip()][:1]
    for key in FILTER_KEYS:
        values = list(query.get(key, ()))
        if not values:
            legacy = next(old for old, new in LEGACY_FILTER_KEYS.items() if new == key)
            values = [v for v in query.get(legacy, ()) if v.strip().casefold() not in LEGACY_NO_FILTER]
        pairs += [(key, value) for value in values]
    changed = [(CHANGED_KEY, "recent")] if any(v.strip() for v in query.get(CHANGED_KEY, ())) else []
    return pairs + [(SEARCH_KEY, value.strip()) for value in search] + changed


MAX_FILTER_VALUES = 20
MAX_FILTER_LENGTH = 200


class FilterError(ValueError):
    """Filter input no page could mean: too many values, or values too long."""


@dataclass(frozen=True)
class ReportFilters:
    """Case-insensitive, exact-match filters; several values of a key mean any of them."""

    status: frozenset[str] = frozenset()
    group: frozenset[str] = frozenset()
    supplier: frozenset[str] = frozenset()
    search: str = ""  # in order number, reference, item and room
    changed: bool = False  # only orders whose ETA moved recently

    @classmethod
    def from_values(cls, **values: Iterable[str]) -> ReportFilters:
        sets = {k: frozenset(v.strip().casefold() for v in values.get(k, ()) if v.strip()) for k in FILTER_KEYS}
        search = " ".join(v.strip() for v in values.get(SEARCH_KEY, ()) if v.strip())
        changed = any(v.strip() for v in values.get(CHANGED_KEY, ()))
        return cls(**sets, search=search.casefold(), changed=changed)

    @classmethod
    def parse(cls, values: Mapping[str, Iterable[str]]) -> ReportFilters:
        """Filters from request input, refusing absurd amounts (FilterError) rather than working on them."""
        checked: dict[str, list[str]] = {}
        for key in (*FILTER_KEYS, SEARCH_KEY, CHANGED_KEY):
            given = list(values.get(key, ()))
            if len(given) > MAX_FILTER_VALUES or any(len(v) > MAX_FILTER_LENGTH for v in given):
                raise FilterError(f"Too many or too long values for '{key}'.")
            checked[key] = given
        return cls.from_values(**checked)

    @property
    def active(self) -> bool:
        return bool(self.status or self.group or self.supplier or self.search or self.changed)

    def matches(self, order: OrderBlock, line: ReportLine) -> bool:
        return (
            (not self.status or line.status.casefold() in self.status)
            and (not self.group or line.group.casefold() in self.group)
            and (not self.supplier or order.instance.casefold() in self.supplier)
            and (not self.search or self._found(order, line))
            and (not self.changed or order.moved_recently)
        )

    def _found(self, order: OrderBlock, line: ReportLine) -> bool:
        # An order found by its number or reference shows all its lines; otherwise the lines found.
        return any(self.search in value.casefold() for value in (order.ref_no, order.descn, line.item, line.room))


def filter_orders(orders: Iterable[OrderBlock], filters: ReportFilters) -> list[OrderBlock]:
    """Orders keeping only matching lines; orders left without lines are dropped."""
    if not filters.active:
        return list(orders)
    kept = []
    for order in orders:
        lines = [line for line in order.lines if filters.matches(order, line)]
        if lines:
            kept.append(replace(order, lines=lines))
    return kept


def filter_options(orders: Iterable[OrderBlock]) -> dict[str, list[str]]:
    """The values each filter can take in these orders, for the page's menus.

    Filters compare case-insensitively, so spellings that differ only in case are one
    choice, shown as the spelling most lines use."""
    statuses: Counter[str] = Counter()
    groups: Counter[str] = Counter()
    suppliers: set[str] = set()
    for order in orders:
        suppliers.add(order.instance)
        for line in order.lines:
            if line.status:
                statuses[line.status] += 1
            if line.group:
                groups[line.group] += 1
    return {"status": _one_per_spelling(statuses), "group": _one_per_spelling(groups), "supplier": sorted(suppliers)}


def _one_per_spelling(counts: Counter[str]) -> list[str]:
    return sorted((name for name, _ in by_spelling(counts)), key=str.casefold)


def by_spelling(counts: Counter[str]) -> list[tuple[str, int]]:
    """Values that differ only in case as one: (the spelling most lines use, all their lines), most first.

    Filters and status names compare case-insensitively; the menus and the stage counts both say so this way.
    """
    chosen: dict[str, tuple[str, int]] = {}
    for value in sorted(counts, key=lambda v: (-counts[v], v)):
        name, total = chosen.get(value.casefold(), (value, 0))
        chosen[value.casefold()] = (name, total + counts[value])
    return sorted(chosen.values(), key=lambda item: (-item[1], item[0].casefold()))
