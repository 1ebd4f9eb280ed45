"""Operator commands through call_command: exit codes, output, effects."""

from __future__ import annotations

import shutil
import sqlite3
import threading
import time

import pytest
from django.db import connections

from customers.models import Customer
from tests.conftest import run_command

# --- db_backup --------------------------------------------------------------------------------------


def restored_rows(path: str, table: str) -> int:
    """Restore a backup somewhere fresh and count a table's rows (proves it is usable)."""
    from django.db import connection

    if connection.vendor == "sqlite":
        restored = sqlite3.connect(path)
        assert restored.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        return restored.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]  # noqa: S608
    import subprocess
    import uuid

    import psycopg

    db = connection.settings_dict
    conninfo = dict(host=db["HOST"], port=db["PORT"], user=db["USER"], password=db["PASSWORD"])
    name = f"restore_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(dbname="postgres", autocommit=True, **conninfo) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    try:
        env = {"PGPASSWORD": db["PASSWORD"], "PATH": "/usr/bin:/bin"}
        subprocess.run(
            [
                shutil.which("pg_restore") or "/usr/bin/pg_restore",
                "--no-owner",
                "-h",
                db["HOST"],
                "-p",
                str(db["PORT"]),
                "-U",
                db["USER"],
                "-d",
                name,
                path,
            ],
            check=True,
            env=env,
            capture_output=True,
        )
        with psycopg.connect(dbname=name, **conninfo) as restored:
            return restored.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]  # noqa: S608
    finally:
        with psycopg.connect(dbname="postgres", autocommit=True, **conninfo) as admin:
            admin.execute(f"DROP DATABASE {name}")


@pytest.mark.django_db(transaction=True)
def test_backup_prints_a_restorable_file_and_keeps_the_last_n(tmp_path):
    Customer.objects.create(display_name="Northside", dd_name="Northside")
    paths = []
    for _ in range(3):
        output, code = run_command("db_backup", dir=tmp_path / "b", keep=2)
        assert code == 0
        paths.append(output.strip())
    assert sorted(p.name for p in (tmp_path / "b").iterdir()) == sorted(p.split("/")[-1] for p in paths[1:])
    assert restored_rows(paths[-1], "customers_customer") == 1


@pytest.mark.django_db(transaction=True)
def test_backup_is_consistent_while_the_app_writes(tmp_path):
    stop = threading.Event()
    written = []

    def writer():
        try:
            n = 0
            while not stop.is_set():
                Customer.objects.create(display_name=f"Writer {n}", dd_name=f"W{n}")
                written.append(n)
                n += 1
        finally:
            connections.close_all()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        time.sleep(0.2)
        output, code = run_command("db_backup", dir=tmp_path)
    finally:
        stop.set()
        thread.join()
    assert code == 0
    rows = restored_rows(output.strip(), "customers_customer")
    assert 0 < rows <= len(written)  # a snapshot taken during the writes, not a torn copy


def test_backup_rejects_keep_zero(tmp_path, db):
    assert run_command("db_backup", dir=tmp_path, keep=0)[1] == 1


# --- cache, jobs, statuses, keys ----------------------------------------------------------------------


def test_create_api_key_prints_a_working_key_once(db, client):
    output, code = run_command("create_api_key", "chat-bot")
    secret = output.strip()
    assert code == 0 and secret.startswith("bze_")
    assert client.get("/api/v1/statuses", HTTP_X_API_KEY=secret).status_code == 200
    assert run_command("create_api_key", "chat-bot")[1] == 1  # the name is taken


def test_every_command_has_help():
    from django.core.management import get_commands, load_command_class

    ours = [
        "prewarm_cache",
        "db_backup",
        "clear_cache",
        "purge_jobs",
        "refresh_statuses",
        "import_legacy",
        "create_api_key",
        "buz_simulator",
        "seed_demo",
    ]
    commands = get_commands()
    for name in ours:
        assert load_command_class(commands[name], name).help, name
