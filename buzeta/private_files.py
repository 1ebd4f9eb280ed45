"""Files only the app's own user may read: the database, its backups, kept passwords.

They hold password and API-key hashes, sessions and every customer's secret link.
Plain Python (no Django), because the settings use it before anything else loads.
"""

from __future__ import annotations

import os
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600


def private_dir(path: Path) -> Path:
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    os.chmod(path, DIR_MODE)  # mkdir's mode is cut by the umask, and the folder may be older
    return path


def private_file(path: Path) -> Path:
    """Create `path` empty if missing (an empty file is an empty SQLite database), owner-only either way.

    SQLite gives its -wal and -shm files the mode of the database file, so they follow.
    """
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, FILE_MODE))
    os.chmod(path, FILE_MODE)
    return path
