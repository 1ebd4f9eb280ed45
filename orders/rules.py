"""The report rules (README, "The report"), as plain functions over plain rows.

Input rows are BuzManager `JobsScheduleDetailed` rows with an added
`Instance` ("DD" or "CBR"). Nothing here touches the database or the network.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import math
import re
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from itertools import repeat
from operator import itemgetter
from typing import Any

from orders.wording import format_date

log = logging.getLogger(__name__)

_BARE_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def text(value: Any) -> str:
    """A value as shown to a customer: missing, null and NaN are blank."""
    if type(value) is str:  # nearly always: the checks below are for what JSON's numbers become
        return value.strip()
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def calendar_date(value: Any, tz: tzinfo) -> date | None:
    """The calendar date in `tz` of an upstream DateScheduled.

    Accepts `…Z`, `….000Z`, `+hh:mm` offsets and bare dates. A bare date is
    already a calendar date; a timestamp without offset is UTC (the contract).
    """
    raw = text(value)
    if not raw:
        return None
    return _calendar_date(raw, tz)


@functools.lru_cache(maxsize=8192)
def _calendar_date(raw: str, tz: tzinfo) -> date | None:
    # Cached: a big account's 50,000 lines share a few hundred spellings of their dates.
    try:
        if _BARE_DATE.match(raw):
            return date.fromisoformat(raw)
        moment = datetime.fromisoformat(raw)
    except ValueError:
        log.warning("ignoring unreadable DateScheduled %r", raw)
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(tz).date()


def line_number(value: Any) -> float | str | None:
    """FixedLine as a number when it is one (1, '1', ' 1 ', 1.0), else its text."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return None if isinstance(value, float) and math.isnan(value) else value
    raw = text(value)
    if not raw:
        return None
    try:
        number = float(raw)
    except ValueError:
        return raw
    return None if math.isnan(number) else number


def _line_sort_key(number: float | str | None) -> tuple:
    if number is None:
        return (2, 0, "")
    if isinstance(number, str):
        return (1, 0, number)
    return (0, number, "")


def _ref_sort_key(ref_no: str) -> tuple:
    return (0, int(ref_no), "") if ref_no.isdigit() else (1, 0, ref_no)


@dataclass(frozen=True)
class ReportLine:
    line_no: str
    item: str
    group: str
    status: str  # as customers see it, after mapping
    raw_status: str
    descn: str
    fields: Mapping[str, Any] = field(compare=False, hash=False, repr=False)  # the upstream row, for exports

    @property
    def quantity(self) -> str:
        return text(self.fields.get("Qty"))

    @property
    def room(self) -> str:
        return text(self.fields.get("Location"))


@dataclass
class OrderBlock:
    instance: str
    ref_no: str
    descn: str
    customer: str
    eta: date | None
    lines: list[ReportLine]
    # From ETA history (history.recording), when it has this order at this ETA.
    first_promised: date | None = None
    previous_eta: date | None = None
    eta_changed_on: date | None = None  # the business-time day the ETA last changed
    moved_recently: bool = False  # the ETA changed within BUZ_ETA_CHANGE_DAYS
    tracked_since: date | None = None  # the business-time day ETA history first saw it
    likely_by: date | None = None  # the date the factory's own record says to plan on (history.forecast)
    forecast: Any = None  # what likely_by stands on (history.forecast.Basis)

    @property
    def key(self) -> str:
        return f"{self.instance}-{self.ref_no}"

    @property
    def moved_later(self) -> bool:
        return bool(self.previous_eta and self.eta and self.eta > self.previous_eta)

    @property
    def eta_display(self) -> str:
        return format_date(self.eta)


# A DateScheduled further than this from today is a data-entry slip (0001-01-01, 2099…), not a promise.
PLAUSIBLE_ETA_DAYS = 5 * 366


@dataclass(slots=True)
class OrderFacts:
    """What an order's rows say, gathered in one pass: its ETA, whether it is finished, and who.

    The pass reads only what every caller needs (order number, date, status); who the
    customer is and which production line are read from the rows when asked for.
    """

    instance: str
    ref_no: str
    rows: list[Mapping[str, Any]] = field(default_factory=list)
    eta: date | None = None  # the latest plausible DateScheduled, a calendar date in the business time zone
    has_status: bool = False
    has_open_status: bool = False  # a line in a status that is not finished
    has_unready_status: bool = False  # a line in a status neither finished nor marked "ready" by staff

    @property
    def customer(self) -> str:
        """The first non-empty Customer of its rows."""
        return text(next((raw for row in self.rows if (raw := row.get("Customer"))), None))

    @property
    def finished(self) -> bool:
        """Finished when it has statuses and every non-empty one is finished.

        An order with no status at all gives no sign of being finished, so it stays open.
        """
        return self.has_status and not self.has_open_status

    @property
    def ready(self) -> bool:
        """Every line ready (or finished): done as far as the customer's date goes, though still open."""
        return self.has_status and not self.has_unready_status

    @property
    def production_line(self) -> str:
        """The line most of its rows are on (the first seen of equals)."""
        counts = Counter(text(row.get("ProductionLine")) for row in self.rows)
        counts.pop("", None)
        return max(counts, key=counts.__getitem__) if counts else ""


class Memo(dict):
    """make(raw), remembered: 50,000 rows share a few hundred dates, statuses and order numbers."""

    def __init__(self, make) -> None:
        super().__init__()
        self.make = make

    def __missing__(self, raw: Any) -> Any:
        self[raw] = value = self.make(raw)
        return value

    def get_or_make(self, raw: Any) -> Any:
        try:
            return self[raw]
        except TypeError:  # an unhashable value (a list, an object) from a broken upstream row
            return self.make(raw)


def order_facts(
    rows: Sequence[Mapping[str, Any]],
    *,
    tz: tzinfo,
    finished_statuses: Iterable[str],
    ready_statuses: Iterable[str] = (),
    today: date | None = None,
    instance: str | None = None,
) -> list[OrderFacts]:
    """The rows by order, `(Instance, RefNo)`, each with its facts and its rows.

    `instance`: the rows are one account's, untagged (as fetched). Rows without a RefNo
    or an Instance are dropped and counted in the log.
    """
    try:  # what each row says, read at C speed
        said = list(map(_FIELDS if instance else _TAGGED_FIELDS, rows))
    except (KeyError, TypeError):
        said = _said_one_by_one(rows)
    kinds = _status_kinds(finished_statuses, ready_statuses)
    facts, dropped = _facts(zip(said, rows, strict=True), Memo(text), tz, kinds, today, instance)
    if dropped:
        log.warning("dropped %d upstream rows without RefNo or Instance", dropped)
    return facts


def rows_said(rows: Sequence[Mapping[str, Any]], *, instance: str | None) -> Collection[tuple]:
    """What the rows say about their orders: (RefNo, DateScheduled, ProductionStatus, [Instance]), each once.

    A big account's 50,000 lines say ~15,000 different things; set(map(itemgetter)) finds
    them at C speed. Rows lacking a field or holding an unhashable value (broken upstream
    rows) are read one by one instead (a list, then).
    """
    try:
        return set(map(_FIELDS if instance else _TAGGED_FIELDS, rows))
    except (KeyError, TypeError):
        return _said_one_by_one(rows)


def said_facts(
    said: Collection[tuple],
    *,
    tz: tzinfo,
    finished_statuses: Iterable[str],
    ready_statuses: Iterable[str] = (),
    today: date | None = None,
    instance: str | None = None,
    texts: Memo,
) -> list[OrderFacts]:
    """The orders' facts from what their rows say (`rows_said`), without their rows.

    For a caller that needs the rows of only a few orders: `order_rows_attach`, given the
    same `texts` (order numbers' texts, by spelling).
    """
    _order_number_texts(said, texts)
    kinds = _status_kinds(finished_statuses, ready_statuses)
    return _facts(zip(said, repeat(None)), texts, tz, kinds, today, instance)[0]


def open_order_count(
    rows: Sequence[Mapping[str, Any]], *, instance: str, tz: tzinfo, finished_statuses: Iterable[str]
) -> int:
    """How many open orders one account's rows hold, by the rule `build_orders` keeps them with (every
    order not finished): the number staff lists show is the number the customer's page shows."""
    said = rows_said(rows, instance=instance)
    facts = said_facts(said, tz=tz, finished_statuses=finished_statuses, instance=instance, texts=Memo(text))
    return sum(1 for order in facts if not order.finished)


def _order_number_texts(said: Iterable[tuple], texts: Memo) -> None:
    """Put the texts of the order numbers in `said` into `texts`, at C speed for the usual strings.

    Nearly every RefNo is a string, whose text is str.strip; a number or null among them
    is left to the memo.
    """
    try:
        spellings = set(map(_FIRST, said))
    except TypeError:  # an unhashable order number (a broken row): the memo makes each text as asked
        return
    with contextlib.suppress(TypeError):
        texts.update(zip(spellings, map(str.strip, spellings), strict=True))


def _said_one_by_one(rows: Iterable[Mapping[str, Any]]) -> list[tuple]:
    return [tuple(row.get(name) for name in _TAGGED_FIELDS_NAMES) for row in rows]


# What a status says of its line: nothing (blank), still to do, ready (staff said so), or finished.
OPEN, READY, FINISHED = 0, 1, 2


def _status_kinds(finished_statuses: Iterable[str], ready_statuses: Iterable[str]) -> Memo:
    """Each raw status's kind, case-insensitively; made once per pass, remembered per spelling."""
    finished = frozenset(s.strip().casefold() for s in finished_statuses)
    ready = frozenset(s.strip().casefold() for s in ready_statuses)

    def kind(raw: Any) -> int | None:
        status = text(raw).casefold()
        if not status:
            return None
        return FINISHED if status in finished else READY if status in ready else OPEN

    return Memo(kind)


def _facts(
    said_by_row: Iterable[tuple[tuple, Mapping[str, Any] | None]],
    texts: Memo,
    tz: tzinfo,
    statuses: Memo,
    today: date | None,
    instance: str | None,
) -> tuple[list[OrderFacts], int]:
    """The one pass behind order_facts and said_facts: the facts, and how many were dropped."""
    today = today or datetime.now(tz).date()

    def plausible_date(raw: Any) -> date | None:
        day = calendar_date(raw, tz)
        return day if day and abs((day - today).days) <= PLAUSIBLE_ETA_DAYS else None

    dates = Memo(plausible_date)
    # Keyed by RefNo alone while the rows are one account's (a tuple per row costs), else by both.
    facts: dict[Any, OrderFacts] = {}
    dropped = 0
    for values, row in said_by_row:
        try:  # memo hits cost a dict lookup; 50,000 rows pass here on every fetch and page build
            ref_no, day, kind = texts[values[0]], dates[values[1]], statuses[values[2]]
            row_instance = instance or texts[values[3]]
        except TypeError:  # an unhashable value (a list, an object) from a broken upstream row
            ref_no, day = texts.get_or_make(values[0]), dates.get_or_make(values[1])
            kind = statuses.get_or_make(values[2])
            row_instance = instance or texts.get_or_make(values[3])
        if not ref_no or not row_instance:
            dropped += 1
            continue
        key = ref_no if instance else (row_instance, ref_no)
        order = facts.get(key)
        if order is None:
            order = facts[key] = OrderFacts(row_instance, ref_no)
        if row is not None:
            order.rows.append(row)
        if day and (order.eta is None or day > order.eta):
            order.eta = day
        if kind is not None:
            order.has_status = True
            if kind != FINISHED:
                order.has_open_status = True
                if kind == OPEN:
                    order.has_unready_status = True
    return list(facts.values()), dropped


_TAGGED_FIELDS_NAMES = ("RefNo", "DateScheduled", "ProductionStatus", "Instance")
_FIELDS, _TAGGED_FIELDS = itemgetter(*_TAGGED_FIELDS_NAMES[:3]), itemgetter(*_TAGGED_FIELDS_NAMES)
_FIRST = itemgetter(0)


def order_rows_attach(
    rows: Iterable[Mapping[str, Any]], orders: Iterable[OrderFacts], *, instance: str | None, texts: Memo
) -> None:
    """Fill in the `rows` of these orders, from `said_facts(rows_said(rows), …)` given `texts`.

    Rows are picked by the spellings of order numbers that pass met (`texts`), a set
    lookup per row: a few orders' rows out of 50,000 in a few milliseconds.
    """
    orders = list(orders)
    if not orders:
        return
    wanted = {(order.ref_no if instance else (order.instance, order.ref_no)): order.rows for order in orders}
    refs = {order.ref_no for order in orders}
    spellings = {raw for raw, ref_no in texts.items() if ref_no in refs}
    try:
        candidates = [row for row in rows if row.get("RefNo") in spellings]
    except TypeError:  # an unhashable RefNo (never in the memo) in a broken upstream row: read all
        candidates = list(rows)
    for row in candidates:
        get = row.get
        try:
            key = texts[get("RefNo")] if instance else (texts[get("Instance")], texts[get("RefNo")])
        except TypeError:
            key = (
                texts.get_or_make(get("RefNo"))
                if instance
                else (texts.get_or_make(get("Instance")), texts.get_or_make(get("RefNo")))
            )
        if (order_rows := wanted.get(key)) is not None:
            order_rows.append(row)


def build_orders(
    rows: Sequence[Mapping[str, Any]],
    *,
    status_names: Mapping[str, str],
    finished_statuses: Iterable[str],
    tz: tzinfo,
) -> list[OrderBlock]:
    """Group rows into open orders, sorted and de-duplicated (README, "The report")."""
    orders = [
        _order_block(order.instance, order.ref_no, order.eta, order.rows, status_names)
        for order in order_facts(rows, tz=tz, finished_statuses=finished_statuses)
        if not order.finished
    ]
    orders.sort(key=lambda o: (o.eta is None, o.eta or date.min, _ref_sort_key(o.ref_no), o.instance))
    return orders


def shown_status(raw_status: str, status_names: Mapping[str, str]) -> str:
    """The name customers see: the mapping for this exact spelling, else for any spelling of it, else as sent."""
    return status_names.get(raw_status) or status_names.get(raw_status.casefold()) or raw_status


def _order_block(
    instance: str, ref_no: str, eta: date | None, rows: list[Mapping[str, Any]], status_names: Mapping[str, str]
) -> OrderBlock:
    seen: set[tuple] = set()
    numbered: list[tuple[float | str | None, ReportLine]] = []
    for row in rows:
        number = line_number(row.get("FixedLine"))
        raw_status = text(row.get("ProductionStatus"))
        line = ReportLine(
            line_no=text(number),
            item=text(row.get("InventoryItem")),
            group=text(row.get("ProductionLine")),
            status=shown_status(raw_status, status_names),
            raw_status=raw_status,
            descn=text(row.get("Descn")),
            fields=row,
        )
        # Every line shows the order's date, so lines differing only in the
        # spelling of their own date are the same line.
        identity = (line.line_no, line.item, line.group, raw_status, line.descn)
        if identity in seen:
            continue
        seen.add(identity)
        numbered.append((number, line))
    numbered.sort(key=lambda pair: _line_sort_key(pair[0]))
    lines = [line for _, line in numbered]
    descn = next((line.descn for line in lines if line.descn), "")
    customer = next((text(r.get("Customer")) for r in rows if text(r.get("Customer"))), "")
    return OrderBlock(instance=instance, ref_no=ref_no, descn=descn, customer=customer, eta=eta, lines=lines)
