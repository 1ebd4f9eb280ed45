"""Past finished orders from a file, so a factory with records gets forecasts on day one.

The file (CSV, UTF-8, a header row): Instance,RefNo,ProductionLine,FirstPromised,Done and optionally
Customer; dates ISO (2026-06-30). Every row is checked before anything is written: bad rows are
listed by line number and nothing is imported, unless the caller asks to skip them. Importing the
same rows twice changes nothing. An order BuzETA already follows from live fetches keeps its own
record: what BuzManager showed beats what a file says.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.db import transaction

from audit.models import AuditEvent
from audit.services import Actor, audit_record
from history.forecast import forecast_table_forget
from history.models import OrderEta
from history.recording import chunks
from lib.clock import business_today, business_tz
from odata.targets import INSTANCES

REQUIRED = ("Instance", "RefNo", "ProductionLine", "FirstPromised", "Done")
OPTIONAL = ("Customer",)
IMPORTED = "import"  # seen_by of a record that came from a file, not a fetch
# A first promise this far before its done day is a typo, not a slip (a year in the wrong century…).
PLAUSIBLE_SLIP_DAYS = 366
MAX_LENGTHS = {"RefNo": 64, "ProductionLine": 120, "Customer": 200}


class ImportFileError(ValueError):
    """The file as a whole cannot be read: not CSV, or its header lacks a column."""


@dataclass(frozen=True)
class FinishedOrder:
    instance: str
    ref_no: str
    production_line: str
    first_promised: date
    done: date
    customer: str = ""


@dataclass
class ImportResult:
    rows: int = 0  # data rows read
    created: int = 0
    updated: int = 0  # from an earlier import, now as this file says
    unchanged: int = 0  # already exactly so (the same file again)
    kept_live: int = 0  # followed by live fetches: left as BuzManager showed them
    errors: list[str] = field(default_factory=list)  # "line 7: Done is not a date (2026-13-01)"
    imported: bool = False  # False: bad rows and not told to skip them, nothing written

    def describe(self, source: str = "") -> str:
        what = f"{self.rows} rows{f' from {source}' if source else ''}"
        return (
            f"{what}: {self.created} orders added, {self.updated} updated, {self.unchanged} already so, "
            f"{self.kept_live} kept as live fetches recorded them, {len(self.errors)} bad rows"
        )


def read_rows(lines: Iterable[str]) -> Iterable[tuple[int, Mapping[str, str]]]:
    """(line number, row) for each data row of a CSV file's lines; the header must name the columns."""
    reader = csv.DictReader(lines)
    header = [name.strip() for name in reader.fieldnames or []]
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        raise ImportFileError(f"the header must name {', '.join(REQUIRED)}; missing: {', '.join(missing)}")
    reader.fieldnames = header
    for row in reader:
        yield reader.line_num, row


def _checked(row: Mapping[str, str], today: date) -> FinishedOrder:
    """The row as a finished order, or ValueError saying what is wrong with it."""
    if None in row:
        raise ValueError("more values than columns")
    values = {name: (row.get(name) or "").strip() for name in (*REQUIRED, *OPTIONAL)}
    problems = [f"{name} is empty" for name in REQUIRED if not values[name]]
    instance = values["Instance"].upper()
    if values["Instance"] and instance not in INSTANCES:
        problems.append(f"Instance must be {' or '.join(INSTANCES)} (not {values['Instance']!r})")
    problems += [f"{name} is longer than {most} characters" for name, most in MAX_LENGTHS.items()
                 if len(values[name]) > most]  # fmt: skip
    days = {}
    for name in ("FirstPromised", "Done"):
        if values[name]:
            try:
                days[name] = date.fromisoformat(values[name])
            except ValueError:
                problems.append(f"{name} is not a date like 2026-06-30 ({values[name]!r})")
    if "Done" in days and days["Done"] > today:
        problems.append(f"Done is in the future ({days['Done']})")
    if len(days) == 2 and abs((days["Done"] - days["FirstPromised"]).days) > PLAUSIBLE_SLIP_DAYS:
        problems.append("FirstPromised and Done are more than a year apart")
    if problems:
        raise ValueError("; ".join(problems))
    return FinishedOrder(
        instance, values["RefNo"], values["ProductionLine"], days["FirstPromised"], days["Done"], values["Customer"]
    )


def eta_history_import(
    rows: Iterable[tuple[int, Mapping[str, str]]],
    *,
    actor: Actor,
    source: str = "",
    skip_bad: bool = False,
    today: date | None = None,
) -> ImportResult:
    """Record the rows' finished orders (see the module's docstring); all or nothing unless `skip_bad`.
    `source`: where they came from (a file name), for the audit trail."""
    today = today or business_today()
    result = ImportResult()
    orders: dict[tuple[str, str], tuple[int, FinishedOrder]] = {}
    for line_no, row in rows:
        result.rows += 1
        try:
            order = _checked(row, today)
        except ValueError as error:
            result.errors.append(f"line {line_no}: {error}")
            continue
        key = (order.instance, order.ref_no)
        if key in orders and orders[key][1] != order:
            result.errors.append(f"line {line_no}: {order.instance} order {order.ref_no} is on line "
                                 f"{orders[key][0]} too, with other values")  # fmt: skip
            continue
        orders.setdefault(key, (line_no, order))
    if result.errors and not skip_bad:
        return result
    with transaction.atomic():
        _write([order for _, order in orders.values()], result)
        audit_record(actor=actor, action=AuditEvent.Action.IMPORTED_HISTORY, summary=result.describe(source))
    forecast_table_forget()
    result.imported = True
    return result


def _write(orders: list[FinishedOrder], result: ImportResult) -> None:
    by_instance: dict[str, list[FinishedOrder]] = {}
    for order in orders:
        by_instance.setdefault(order.instance, []).append(order)
    for instance, wanted in by_instance.items():
        for chunk in chunks(wanted):
            existing = {
                record.ref_no: record
                for record in OrderEta.objects.filter(instance=instance, ref_no__in=[o.ref_no for o in chunk])
            }
            new, changed = [], []
            for order in chunk:
                record = existing.get(order.ref_no)
                if record is not None and record.seen_by != IMPORTED:
                    result.kept_live += 1
                    continue
                fresh = _record(order)
                if record is None:
                    new.append(fresh)
                elif _same(record, fresh):
                    result.unchanged += 1
                else:
                    fresh.pk = record.pk
                    changed.append(fresh)
            OrderEta.objects.bulk_create(new)
            OrderEta.objects.bulk_update(changed, fields=_FIELDS)
            result.created += len(new)
            result.updated += len(changed)


_FIELDS = ["customer_name", "customer_key", "production_line", "first_eta", "current_eta", "first_seen_at",
           "closed_at", "done_on"]  # fmt: skip


def _record(order: FinishedOrder) -> OrderEta:
    """An imported order as history would have left it: promised (the file has no order date, so its first
    promise day stands for it: the backtest gives it only what was done before then), then done."""
    tz = business_tz()
    promised_at = datetime.combine(min(order.first_promised, order.done), time(0), tzinfo=tz)
    return OrderEta(
        instance=order.instance,
        ref_no=order.ref_no,
        customer_name=order.customer,
        customer_key=order.customer.casefold(),
        production_line=order.production_line,
        seen_by=IMPORTED,
        first_eta=order.first_promised,
        current_eta=order.first_promised,
        first_seen_at=promised_at,
        closed_at=datetime.combine(order.done, time(0), tzinfo=tz),
        done_on=order.done,
    )


def _same(record: OrderEta, fresh: OrderEta) -> bool:
    return all(getattr(record, name) == getattr(fresh, name) for name in _FIELDS)
