"""Consistent online backups: SQLite's backup API, or pg_dump for PostgreSQL."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.utils import timezone

from buzeta.private_files import private_dir, private_file


class BackupError(Exception):
    pass


def _backups(directory: Path) -> list[Path]:
    return sorted(directory.glob("buzeta-*.sqlite3")) + sorted(directory.glob("buzeta-*.pgdump"))


def db_backup(*, directory: Path | None = None, keep: int | None = None) -> Path:
    """Write a backup file and return its path; keep only the newest `keep` backups."""
    directory = private_dir(Path(directory or Path(settings.DATA_DIR) / "backups"))
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S-%f")
    if connection.vendor == "sqlite":
        target = directory / f"buzeta-{stamp}.sqlite3"
        _sqlite_backup(target)
    elif connection.vendor == "postgresql":
        target = directory / f"buzeta-{stamp}.pgdump"
        _pg_dump(target)
    else:
        raise BackupError(f"no backup method for {connection.vendor}")
    if keep:
        # Names start with a sortable timestamp: oldest first.
        for old in sorted(_backups(directory), key=lambda p: p.name)[:-keep]:
            old.unlink(missing_ok=True)
    return target


def _sqlite_backup(target: Path) -> None:
    # The online backup API copies a consistent snapshot page by page while
    # the app keeps writing (WAL), with no SQL built from a path.
    connection.ensure_connection()
    partial = private_file(target.with_suffix(".partial"))
    destination = sqlite3.connect(partial)
    try:
        connection.connection.backup(destination)
        # The copy inherits WAL mode; a backup should be one self-contained file.
        destination.execute("PRAGMA journal_mode=DELETE")
        if destination.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise BackupError("the backup failed its integrity check")
    finally:
        destination.close()
    partial.rename(target)


def _pg_dump(target: Path) -> None:
    pg_dump = shutil.which("pg_dump")
    if not pg_dump:
        raise BackupError("pg_dump is not installed (apt-get install postgresql-client)")
    db = connection.settings_dict
    env = {**os.environ, "PGPASSWORD": str(db.get("PASSWORD") or "")}
    private_file(target)  # pg_dump writes into it and keeps its mode
    command = [pg_dump, "--format=custom", f"--file={target}", "--no-owner", f"--dbname={db['NAME']}"]
    if db.get("HOST"):
        command.append(f"--host={db['HOST']}")
    if db.get("PORT"):
        command.append(f"--port={db['PORT']}")
    if db.get("USER"):
        command.append(f"--username={db['USER']}")
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=3600)  # noqa: S603
    if result.returncode != 0:
        target.unlink(missing_ok=True)
        raise BackupError(f"pg_dump failed: {result.stderr.strip()[:300]}")
