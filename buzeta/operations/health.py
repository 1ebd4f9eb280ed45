"""What /api/v1/health reports: can the database be read, can it be written, is there room on disk.

Reads are checked on every call (one `SELECT 1`). Writes cost more, and a monitor may poll
every few seconds from several places, so the write probes run at most once per
PROBE_SECONDS per process and their outcome is reused in between.
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.cache import caches
from django.db import connection
from django.utils import timezone

log = logging.getLogger(__name__)

PROBE_SECONDS = 15


@dataclass(frozen=True)
class Health:
    db: bool  # the database answers
    db_write: bool  # it takes a write (the rate-limit counters live there without Redis)
    disk: bool  # the data directory (SQLite, exports, backups) takes a write

    @property
    def ok(self) -> bool:
        return self.db and self.db_write and self.disk


_lock = threading.Lock()
_last: tuple[float, bool, bool] | None = None  # (when, db_write, disk)


def health_check() -> Health:
    global _last
    db = _database_answers()
    with _lock:
        if _last is None or time.monotonic() - _last[0] >= PROBE_SECONDS:
            _last = (time.monotonic(), _counters_take_a_write(), _disk_takes_a_write())
        _, db_write, disk = _last
    return Health(db=db, db_write=db and db_write, disk=disk)


def _database_answers() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:
        log.error("health: the database does not answer: %s", exc)
        return False
    return True


def _counters_take_a_write() -> bool:
    try:
        caches[settings.RATELIMIT_USE_CACHE].set("health:write-probe", timezone.now().isoformat(), 60)
    except Exception as exc:
        log.error("health: the rate-limit counters cannot be written: %s", exc)
        return False
    return True


def _disk_takes_a_write() -> bool:
    folder = Path(settings.DATA_DIR)
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".health-", delete=True) as probe:
            probe.write(b"\0" * 4096)
            probe.flush()
            os.fsync(probe.fileno())
    except OSError as exc:
        log.error("health: the data directory cannot be written: %s", exc)
        return False
    return True
