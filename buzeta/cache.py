"""The shared caches when there is no Redis: tables in the database, with counts that are never lost.

Rate limits (django-ratelimit, allauth's throttle) count with `add` then `incr`. Three
things Django's stock database cache does would let a limit through:

- `incr` is a read and a write, so two workers counting at once lose a hit. Here it reads
  the row locked inside one transaction: a `SELECT … FOR UPDATE` on PostgreSQL, and on
  SQLite the write lock that the project's IMMEDIATE transactions take when they begin.
- past MAX_ENTRIES (300) it deletes a third of all rows, live counters included: any
  traffic from other addresses evicted a counter and reset its limit. Here only expired
  rows are ever deleted, in a sweep at most once a minute per process.
- a write that fails (a full disk, a read-only database) is silently dropped; django-ratelimit
  then sees no count and refuses the request, a "429" for a disk problem. The counters' own
  cache (`CounterCache`) raises CounterStoreUnavailable instead, naming the cause, and the
  request is answered 503 (buzeta.middleware).
"""

from __future__ import annotations

import base64
import pickle
import threading
import time
from datetime import UTC, datetime

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.db import DatabaseCache
from django.db import DatabaseError, IntegrityError, OperationalError, connections, router, transaction
from django.utils import timezone

SWEEP_EVERY_SECONDS = 60


class CounterStoreUnavailable(Exception):
    """A rate-limit counter could not be written: the request cannot be counted, so it is not served."""


class AtomicDatabaseCache(DatabaseCache):
    """The shared cache: atomic `incr`, and rows culled only once expired."""

    def __init__(self, table, params):
        super().__init__(table, params)
        self._swept_at = 0.0
        self._sweep_lock = threading.Lock()

    def _cull(self, db, cursor, now, num):
        # Django's cull deletes live rows past MAX_ENTRIES; ours never does (see the module docstring).
        self._sweep(db, cursor, now)

    def _sweep(self, db, cursor, now) -> None:
        with self._sweep_lock:
            if time.monotonic() - self._swept_at < SWEEP_EVERY_SECONDS:
                return
            self._swept_at = time.monotonic()
        connection = connections[db]
        table, expires = connection.ops.quote_name(self._table), connection.ops.quote_name("expires")
        cursor.execute(f"DELETE FROM {table} WHERE {expires} < %s", [connection.ops.adapt_datetimefield_value(now)])  # noqa: S608

    def incr(self, key, delta=1, version=None):
        key = self.make_and_validate_key(key, version=version)
        db = router.db_for_write(self.cache_model_class)
        connection = connections[db]
        table = connection.ops.quote_name(self._table)
        lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
        with transaction.atomic(using=db), connection.cursor() as cursor:
            cursor.execute(f"SELECT value, expires FROM {table} WHERE cache_key = %s{lock}", [key])  # noqa: S608
            row = cursor.fetchone()
            if row is None or _as_aware(row[1], connection) < timezone.now():
                raise ValueError(f"Key '{key}' not found")
            value = pickle.loads(base64.b64decode(row[0].encode())) + delta  # noqa: S301 - our own rows
            encoded = base64.b64encode(pickle.dumps(value, self.pickle_protocol)).decode("latin1")
            cursor.execute(f"UPDATE {table} SET value = %s WHERE cache_key = %s", [encoded, key])  # noqa: S608
        return value

    def decr(self, key, delta=1, version=None):
        return self.incr(key, -delta, version=version)


class CounterCache(AtomicDatabaseCache):
    """The rate-limit counters' own table: nothing else writes there, and a write that fails says why."""

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._write("add", key, value, timeout, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        self._write("set", key, value, timeout, version)

    def incr(self, key, delta=1, version=None):
        try:
            return super().incr(key, delta, version)
        except OperationalError as exc:
            raise CounterStoreUnavailable(str(exc)) from exc

    def _write(self, mode: str, key, value, timeout, version) -> bool:
        key = self.make_and_validate_key(key, version=version)
        timeout = self.get_backend_timeout(timeout)
        db = router.db_for_write(self.cache_model_class)
        connection = connections[db]
        quote = connection.ops.quote_name
        table = quote(self._table)
        now = timezone.now().replace(microsecond=0)
        expires = datetime.max if timeout is None else datetime.fromtimestamp(timeout, tz=UTC)
        encoded = base64.b64encode(pickle.dumps(value, self.pickle_protocol)).decode("latin1")
        lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
        try:
            with transaction.atomic(using=db), connection.cursor() as cursor:
                self._sweep(db, cursor, now)
                cursor.execute(f"SELECT expires FROM {table} WHERE cache_key = %s{lock}", [key])  # noqa: S608
                row = cursor.fetchone()
                if row is not None and mode == "add" and _as_aware(row[0], connection) >= now:
                    return False  # counted already, in this window
                params = [encoded, connection.ops.adapt_datetimefield_value(expires.replace(microsecond=0)), key]
                if row is None:
                    cursor.execute(
                        f"INSERT INTO {table} ({quote('value')}, {quote('expires')}, {quote('cache_key')}) "  # noqa: S608
                        "VALUES (%s, %s, %s)",
                        params,
                    )
                else:
                    cursor.execute(f"UPDATE {table} SET value = %s, expires = %s WHERE cache_key = %s", params)  # noqa: S608
        except IntegrityError:
            return False  # another process added it between our read and our insert: theirs counts
        except (OperationalError, DatabaseError) as exc:
            raise CounterStoreUnavailable(str(exc)) from exc
        return True


def _as_aware(value, connection):
    # SQLite hands back text, PostgreSQL a datetime: the backend's converters make both a datetime.
    from django.db import models

    expression = models.Expression(output_field=models.DateTimeField())
    for converter in connection.ops.get_db_converters(expression) + expression.get_db_converters(connection):
        value = converter(value, expression, connection)
    if timezone.is_naive(value):
        value = timezone.make_aware(value, UTC)
    return value
