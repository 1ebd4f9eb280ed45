"""`make release`, as docs/deploy.md has operators run it: a backup before the migration."""

from __future__ import annotations

import os
import secrets
import shutil
import sqlite3
import subprocess

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.e2e


def production_env(data_dir) -> dict:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(("BUZ_", "DJANGO_", "DATABASE_URL", "MAKE"))},
        "APP_ENV": "production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "eta.example.com",
        "BUZETA_DATA_DIR": str(data_dir),
    }


def make_release(env) -> subprocess.CompletedProcess:
    command = [shutil.which("make") or "make", "-s", "release"]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def test_a_release_backs_up_the_database_before_it_migrates(tmp_path):
    env = production_env(tmp_path)
    first = make_release(env)  # a first deploy: an empty database is backed up, then created
    assert first.returncode == 0, first.stdout + first.stderr
    db = sqlite3.connect(tmp_path / "db.sqlite3")
    db.execute(
        "INSERT INTO customers_customer (display_name, dd_name, cbr_name, field_type, obfuscated_id, view_count,"
        " created_at, updated_at) VALUES ('Kept Co', 'Kept Co', '', 'Customer Name', 'kept-link-0000000001', 0,"
        " '2026-12-01', '2026-12-01')"
    )
    # As if the code being released brought a migration: the last one applied is undone first.
    db.execute("DELETE FROM django_migrations WHERE app = 'audit'")
    db.execute("DROP TABLE audit_auditevent")
    db.commit()
    db.close()

    second = make_release(env)
    assert second.returncode == 0, second.stdout + second.stderr
    backup = second.stdout.splitlines()[0]
    assert backup.startswith(str(tmp_path / "backups")) and backup.endswith(".sqlite3"), second.stdout
    saved = sqlite3.connect(backup)
    # The backup holds the data, and the schema as it was before this release's migration ran.
    assert saved.execute("SELECT display_name FROM customers_customer").fetchall() == [("Kept Co",)]
    tables = {name for (name,) in saved.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "audit_auditevent" not in tables
    assert "Applying audit.0001" in second.stdout
    assert "System check identified no issues" in second.stdout


def test_a_release_stops_before_migrating_when_the_backup_fails(tmp_path):
    env = production_env(tmp_path)
    (tmp_path / "backups").write_text("a file where the backup folder should be")
    result = make_release(env)
    assert result.returncode != 0
    assert "backup failed" in result.stderr
    assert not (tmp_path / "db.sqlite3").exists() or "Applying" not in result.stdout
