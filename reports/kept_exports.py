"""Exports built once and kept on disk, so a repeat download is a file send (or a 304).

Kept per customer under `<BUZETA_DATA_DIR>/exports/<customer id>/`, owner-only. A file is
named by what it holds, not by how it was asked for: the data version, the format, the
columns, and the filters reduced to what they can match (a filter value no order has is
dropped, and any filter that leaves nothing is the one "nothing" file). So junk query
values cannot make copies. Bounded per customer (BUZ_EXPORTS_KEPT_PER_CUSTOMER) and in
all (BUZ_EXPORTS_KEPT_TOTAL), least recently used out first; older than EXPORT_KEEP_HOURS
since last use, purged by the hourly schedule.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO, Any

from django.conf import settings

from orders.filters import FILTER_KEYS

log = logging.getLogger(__name__)

EXPORT_KEEP_HOURS = 24


def export_key(report: Any, fmt: str, columns: Iterable[str]) -> str:
    """What a kept file holds, as a name: the same rows in the same format are one file."""
    filters = report.filters
    if not report.visible_orders:
        asked = "nothing"
    else:
        options = report.options
        kept = {key: sorted(v for v in getattr(filters, key) if v in {o.casefold() for o in options[key]})
                for key in FILTER_KEYS}  # fmt: skip
        asked = repr((kept, filters.search, filters.changed))
    identity = "|".join([report.data_version, fmt, asked, ",".join(columns)])
    return hashlib.sha256(identity.encode()).hexdigest()


def _exports_dir() -> Path:
    folder = Path(settings.DATA_DIR) / "exports"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)  # customers' orders: owner-only
    return folder


def kept_export(customer_id: int, key: str, fmt: str, build: Callable[[IO[bytes]], None]) -> IO[bytes]:
    """The kept file for this export, open for reading; built now (written aside, then moved in
    whole) when it is not kept yet, or was purged by another process as we looked."""
    folder = _exports_dir() / str(customer_id)
    folder.mkdir(mode=0o700, exist_ok=True)
    path = folder / f"{key}.{fmt}"
    with contextlib.suppress(FileNotFoundError):
        kept = path.open("rb")
        os.utime(path)  # used now: the bounds and the purge go by last use
        return kept
    # NamedTemporaryFile creates the file 0600.
    with tempfile.NamedTemporaryFile(dir=folder, suffix=".part", delete=False) as output:
        build(output)
    os.replace(output.name, path)
    kept = path.open("rb")
    _keep_within_bounds(folder)  # an open file stays readable if the bounds take it
    return kept


def _kept_files(folder: Path) -> list[tuple[float, Path]]:
    found = []
    for path in folder.glob("*/*") if folder == _exports_dir() else folder.iterdir():
        try:
            if path.is_file() and path.suffix != ".part":
                found.append((path.stat().st_mtime, path))
        except FileNotFoundError:
            continue
    return sorted(found, key=lambda item: item[0])


def _keep_within_bounds(customer_folder: Path) -> None:
    for folder, bound in (
        (customer_folder, settings.BUZ_EXPORTS_KEPT_PER_CUSTOMER),
        (_exports_dir(), settings.BUZ_EXPORTS_KEPT_TOTAL),
    ):
        files = _kept_files(folder)
        for _, path in files[: max(0, len(files) - bound)]:
            path.unlink(missing_ok=True)


def exports_purge(*, older_than_hours: int = EXPORT_KEEP_HOURS) -> int:
    """Delete kept exports (and abandoned partial ones) not used for this long; returns how many."""
    cutoff = time.time() - older_than_hours * 3600
    removed = 0
    for path in _exports_dir().glob("**/*"):
        try:
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
                removed += 1
        except FileNotFoundError:
            continue
    for folder in _exports_dir().iterdir():
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
    return removed
