"""Django's database cache with an atomic `incr`, the shared cache when there is no Redis.

Rate limits (django-ratelimit, allauth's throttle) count with `add` then
`incr`. The stock database backend increments with a read and a write, so
two workers counting at once lose a hit and a limit lets more through than
it says. Here `incr` reads the row locked inside one transaction: a
`SELECT … FOR UPDATE` on PostgreSQL, and on SQLite the write lock that the
project's IMMEDIATE transactions take when they begin.
"""

from __future__ import annotations

import base64
import pickle

from django.core.cache.backends.db import DatabaseCache
from django.db import connections, router, transaction
from django.utils import timezone


class AtomicDatabaseCache(DatabaseCache):
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


def _as_aware(value, connection):
    # SQLite hands back text, PostgreSQL a datetime: the backend's converters make both a datetime.
    from django.db import models

    expression = models.Expression(output_field=models.DateTimeField())
    for converter in connection.ops.get_db_converters(expression) + expression.get_db_converters(connection):
        value = converter(value, expression, connection)
    if timezone.is_naive(value):
        value = timezone.make_aware(value, timezone.utc)
    return value
