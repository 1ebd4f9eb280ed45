"""ETA history: what each order was promised, and every time that promise moved.

Recorded from every successful live fetch (odata sends `live_rows_fetched` from the one
fetch path that page, job, prewarm and API share), never from cached or stale data, so a
blackout cannot make dates look like they moved. Cost per fetch: a bulk read of the
account's known orders and bulk writes; only real changes cost a statement each.

Exactly once: a change is written as `UPDATE … SET current_eta = new WHERE current_eta
= old`, and its event only when that update took the row. Two fetches seeing the same
change at once (a customer and its group, two workers) record it once.

What is recorded is read by history.selectors; retention is here.
"""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import Iterable, Mapping, Sequence
from contextlib import ContextDecorator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

from django.conf import settings
from django.db import OperationalError, connections, transaction
from django.db.models import BooleanField, DateField, ExpressionWrapper, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import Actor, audit_record
from history.models import EtaChange, OrderEta
from lib.clock import business_tz
from orders.rules import (
    Memo,
    OrderFacts,
    order_rows_attach,
    rows_said,
    said_facts,
    text,
)
from statuses.selectors import ready_statuses

log = logging.getLogger(__name__)

# Keeps IN (…) lists inside every database's parameter limit (SQLite's is the smallest).
CHUNK = 500
MOVES_PER_STATEMENT = 200  # two CASEs of 200 branches and an IN list: ~800 parameters
WRITE_ATTEMPTS = 3


class KnownOrder(NamedTuple):
    """An order whose ETA this recording writes: its id and the ETA it had."""

    pk: int
    current_eta: date | None


def _known_orders(orders, *, key: str) -> dict[str, tuple]:
    """The orders of a queryset by RefNo: plain tuples (pk, ref_no, current_eta, closed, seen_here, done).

    Plain tuples of the driver's own values: Django's per-value converters and 8,000 model
    instances cost more than the query for a big group on every fetch. The ETA is read as an
    expression, not the column: SQLite's driver then hands over the stored ISO text instead
    of converting all 8,000 (the recording parses the few hundred distinct ones, `_as_date`);
    PostgreSQL's gives dates either way. `seen_here`: last seen by cache key `key`.
    """
    values = orders.order_by().values_list(
        "pk",
        "ref_no",
        Coalesce("current_eta", Value(None, output_field=DateField())),
        ExpressionWrapper(Q(closed_at__isnull=False), output_field=BooleanField()),
        ExpressionWrapper(Q(seen_by=key), output_field=BooleanField()),
        ExpressionWrapper(Q(done_on__isnull=False), output_field=BooleanField()),
    )
    sql, params = values.query.get_compiler(using=orders.db).as_sql()
    with connections[orders.db].cursor() as cursor:
        cursor.execute(sql, params)
        return {row[1]: row for row in cursor.fetchall()}


def _recorded_line(pk: int) -> str:
    """The production line first recorded for an order (its rows now name none: rare)."""
    return OrderEta.objects.filter(pk=pk).values_list("production_line", flat=True).first() or ""


def _as_date(value: Any) -> date | None:
    """A date from the driver: SQLite's ISO text, or already one."""
    return date.fromisoformat(value) if isinstance(value, str) else value


@dataclass
class RecordSummary:
    new: int = 0
    moved: int = 0
    dated: int = 0
    closed: int = 0
    reopened: int = 0
    done: int = 0  # done by their lines being ready (closed orders are done too, counted in `closed`)


def seen_orders(
    rows: Sequence[Mapping[str, Any]], *, instance: str, tz, today: date, texts: Memo, ready: Iterable[str] = ()
) -> dict[str, OrderFacts]:
    """The open orders in one account's rows, by RefNo, under the report's own rules (README, "The report").

    Without their rows: `order_rows_attach`, with the same `texts`, adds them where needed.
    """
    said = rows_said(rows, instance=instance)
    facts = said_facts(
        said,
        tz=tz,
        finished_statuses=settings.BUZ_FINISHED_STATUSES,
        ready_statuses=ready,
        today=today,
        instance=instance,
        texts=texts,
    )
    return {order.ref_no: order for order in facts if not order.finished}


def chunks(items: list, size: int = CHUNK) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class _CyclicGcPaused(ContextDecorator):
    """Python's cyclic garbage collector held off while a recording runs (one at a time or several).

    A big fetch's recording makes ~25,000 short-lived, acyclic objects (orders' facts, the
    known orders), all freed by reference counting when it returns. With the collector on,
    they trip collections that walk the whole heap, the fetch's 100,000 row dicts included:
    a third of the recording's time on a 50,000-line fetch (docs/benchmarks.md).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._depth = 0
        self._was_enabled = False

    def __enter__(self) -> None:
        with self._lock:
            if self._depth == 0:
                self._was_enabled = gc.isenabled()
                gc.disable()
            self._depth += 1

    def __exit__(self, *exc_info) -> None:
        with self._lock:
            self._depth -= 1
            if self._depth == 0 and self._was_enabled:
                gc.enable()


_cyclic_gc_paused = _CyclicGcPaused()


@_cyclic_gc_paused
def eta_record_fetch(
    *, key: str, instance: str, name: str, is_group: bool, rows: list[dict[str, Any]], fetched_at: datetime
) -> RecordSummary:
    """Record what one successful live fetch (cache key `key`) says about its orders' ETAs."""
    tz = business_tz()
    texts = Memo(text)
    today = timezone.localtime(fetched_at, tz).date()
    seen = seen_orders(rows, instance=instance, tz=tz, today=today, texts=texts, ready=ready_statuses())

    # What we knew: the orders this fetch is answerable for (one indexed read; in steady state
    # that is every order it returns), then any it returns that another fetch saw last.
    covers = Q(seen_by=key) if is_group else Q(seen_by=key) | Q(customer_key=name.casefold())
    known = _known_orders(OrderEta.objects.filter(covers, instance=instance), key=key)
    for refs in chunks(list(seen.keys() - known.keys())):  # known elsewhere, or new
        known.update(_known_orders(OrderEta.objects.filter(instance=instance, ref_no__in=refs), key=key))

    # New to history (written with their customer and line, like the moves below).
    new_orders = [seen[ref_no] for ref_no in seen.keys() - known.keys()]
    to_close: list[int] = []
    moves: list[tuple[KnownOrder, OrderFacts]] = []
    dated: list[tuple[KnownOrder, OrderFacts]] = []
    reopen: list[int] = []
    retag: list[int] = []
    ready: list[int] = []  # every line in a status staff marked "ready": done, though still open
    day = Memo(_as_date)  # a few hundred distinct dates among 8,000 orders
    for ref_no, (pk, _, current_eta, closed, seen_here, done) in known.items():
        if (order := seen.get(ref_no)) is None:
            if not closed:
                to_close.append(pk)  # not returned: finished or cancelled
            continue
        if order.ready and (closed or not done):
            ready.append(pk)
        if order.eta:
            if current_eta is None:
                dated.append((KnownOrder(pk, None), order))  # a first date is not a move
            elif order.eta != (current_eta := day[current_eta]):
                moves.append((KnownOrder(pk, current_eta), order))
        if closed:
            reopen.append(pk)
        if not seen_here:
            retag.append(pk)

    # Who the customer is and which line: read from the rows only for the orders written with them.
    order_rows_attach(rows, [*new_orders, *(order for _, order in moves)], instance=instance, texts=texts)
    new = [
        OrderEta(
            instance=instance,
            ref_no=order.ref_no,
            customer_key=order.customer.casefold(),
            customer_name=order.customer,
            production_line=order.production_line,
            seen_by=key,
            first_eta=order.eta,
            current_eta=order.eta,
            first_seen_at=fetched_at,
            done_on=today if order.ready else None,
        )
        for order in new_orders
    ]

    # Every row this recording will write, locked first and in one order (ascending id), so two
    # recordings that overlap (a customer and its group) queue instead of deadlocking.
    # (SQLite has no row locks, and with one writer at a time cannot deadlock this way.)
    row_locks = connections[OrderEta.objects.db].features.has_select_for_update
    touched = sorted({r.pk for r, _ in moves} | {r.pk for r, _ in dated} | {*reopen, *retag, *to_close, *ready})
    for attempt in range(1, WRITE_ATTEMPTS + 1):
        try:
            with transaction.atomic():
                for pks in chunks(touched) if row_locks else []:
                    list(OrderEta.objects.select_for_update().filter(pk__in=pks).order_by("pk").values_list("pk"))
                summary = _record_writes(
                    key=key, fetched_at=fetched_at, today=today, new=new, moves=moves, dated=dated,
                    reopen=reopen, retag=retag, to_close=to_close, ready=ready,
                )  # fmt: skip
            break
        except OperationalError as exc:
            # Safe to run again: every write is conditional on the state it changes, or idempotent.
            if attempt == WRITE_ATTEMPTS or not _lock_conflict(exc):
                raise
            log.warning("ETA history for %s met a lock conflict; trying again", key.split(":", 1)[0])
    if summary.moved or summary.closed or summary.reopened:
        # The cache key, not the customer's name: log lines reach Sentry.
        log.info("ETA history for %s: %s", key.split(":", 1)[0], summary)
    return summary


def _record_writes(
    *,
    key: str,
    fetched_at: datetime,
    today: date,
    new: list[OrderEta],
    moves: list[tuple[KnownOrder, OrderFacts]],
    dated: list[tuple[KnownOrder, OrderFacts]],
    reopen: list[int],
    retag: list[int],
    to_close: list[int],
    ready: list[int],
) -> RecordSummary:
    summary = RecordSummary()
    OrderEta.objects.bulk_create(new, batch_size=CHUNK, ignore_conflicts=True)
    summary.new = len(new)
    events = [
        EtaChange(
            order_id=record.pk,
            from_eta=record.current_eta,
            to_eta=order.eta,
            days=(order.eta - record.current_eta).days,
            production_line=order.production_line or _recorded_line(record.pk),
            detected_at=fetched_at,
        )
        for batch in chunks(moves, MOVES_PER_STATEMENT)
        for record, order in _moves_take(batch, fetched_at)
    ]
    EtaChange.objects.bulk_create(events)
    summary.moved = len(events)
    for record, order in dated:
        summary.dated += OrderEta.objects.filter(pk=record.pk, current_eta__isnull=True).update(
            current_eta=order.eta, first_eta=Coalesce("first_eta", Value(order.eta, output_field=DateField()))
        )
    for pks in chunks(reopen):
        # Back among the open orders: it was not done after all (unless every line is ready: below).
        summary.reopened += OrderEta.objects.filter(pk__in=pks, closed_at__isnull=False).update(
            closed_at=None, done_on=None
        )
    for pks in chunks(ready):
        summary.done += OrderEta.objects.filter(pk__in=pks, done_on__isnull=True).update(done_on=today)
    for pks in chunks(retag):
        OrderEta.objects.filter(pk__in=pks).update(seen_by=key)
    for pks in chunks(to_close):
        summary.closed += OrderEta.objects.filter(pk__in=pks, closed_at__isnull=True).update(closed_at=fetched_at)
        # Finished or gone: done today, unless its lines were all ready earlier.
        OrderEta.objects.filter(pk__in=pks, done_on__isnull=True).update(done_on=today)
    return summary


class _Contended(Exception):
    """Another recording changed some of these orders first."""


def _moves_take(moves: list[tuple[KnownOrder, OrderFacts]], fetched_at: datetime):
    """The moves this recording takes: each written only where the ETA is still the one we read.

    One conditional UPDATE for the batch; only when another recording took some of them
    first (its count falls short) is the batch undone and written order by order, so that
    each change is taken, and becomes an event, exactly once. Plain SQL: Django's Case/When
    for a batch costs more to build than the per-order updates it replaces.
    """
    connection = connections[OrderEta.objects.db]
    ops, quote = connection.ops, connection.ops.quote_name
    table, pk, current, previous, changed = (
        quote(OrderEta._meta.db_table),
        *(
            quote(OrderEta._meta.get_field(name).column)
            for name in ("id", "current_eta", "previous_eta", "eta_changed_at")
        ),
    )
    branches = " ".join(["WHEN %s THEN %s"] * len(moves))
    in_list = ", ".join(["%s"] * len(moves))
    # Only quoted names and placeholders go into the statement; every value is a parameter.
    assignments = f"{previous} = {current}, {current} = CASE {pk} {branches} END, {changed} = %s"
    sql = f"UPDATE {table} SET {assignments} WHERE {pk} IN ({in_list}) AND {current} = CASE {pk} {branches} END"  # noqa: S608
    params = [
        *(v for record, order in moves for v in (record.pk, ops.adapt_datefield_value(order.eta))),
        ops.adapt_datetimefield_value(fetched_at),
        *(record.pk for record, _ in moves),
        *(v for record, _ in moves for v in (record.pk, ops.adapt_datefield_value(record.current_eta))),
    ]
    try:
        with transaction.atomic(), connection.cursor() as cursor:  # a savepoint
            cursor.execute(sql, params)
            if cursor.rowcount != len(moves):
                raise _Contended
        return moves
    except _Contended:
        return [
            (record, order)
            for record, order in moves
            if OrderEta.objects.filter(pk=record.pk, current_eta=record.current_eta).update(
                current_eta=order.eta, previous_eta=record.current_eta, eta_changed_at=fetched_at
            )
        ]


def _lock_conflict(exc: OperationalError) -> bool:
    """PostgreSQL's deadlock or serialization failure (SQLSTATE 40P01, 40001): worth one more try."""
    return getattr(exc.__cause__, "sqlstate", None) in {"40P01", "40001"} or "deadlock detected" in str(exc)


def record_live_rows(sender, *, target, key: str, rows: list[dict[str, Any]], fetched_at: datetime, **kwargs) -> None:
    """Receiver of odata's `live_rows_fetched` (which logs a failure here and keeps the fetch)."""
    eta_record_fetch(
        key=key, instance=target.instance, name=target.name, is_group=target.is_group, rows=rows, fetched_at=fetched_at
    )


# --- retention -----------------------------------------------------------------------------


def history_purge(*, actor: Actor, older_than_days: int | None = None, dry_run: bool = False) -> tuple[int, int]:
    """Delete change events and closed orders older than BUZ_ETA_HISTORY_DAYS: (events, orders)."""
    days = settings.BUZ_ETA_HISTORY_DAYS if older_than_days is None else older_than_days
    cutoff = timezone.now() - timedelta(days=days)
    old_orders = OrderEta.objects.filter(closed_at__lt=cutoff)
    old_events = EtaChange.objects.filter(Q(detected_at__lt=cutoff) | Q(order__in=old_orders))
    counts = (old_events.count(), old_orders.count())
    if not dry_run and any(counts):
        with transaction.atomic():
            old_events.delete()
            old_orders.delete()
            audit_record(
                actor=actor,
                action=AuditEvent.Action.PURGED_HISTORY,
                summary=f"{counts[0]} ETA changes and {counts[1]} closed orders older than {days} days deleted",
            )
    return counts
