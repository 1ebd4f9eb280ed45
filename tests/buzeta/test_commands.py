"""Operator commands through call_command: exit codes, output, effects."""

from __future__ import annotations

import shutil
import sqlite3
import threading
import time
from datetime import timedelta
from io import StringIO

import pytest
import responses
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connections
from django.utils import timezone

from customers.models import Customer
from odata.models import UpstreamCache
from reports.models import ReportJob
from statuses.models import StatusMapping
from tests.conftest import CBR_ROOT, DD_ROOT


def run(name, *args, **options) -> tuple[str, int]:
    out = StringIO()
    try:
        call_command(name, *args, stdout=out, stderr=StringIO(), **options)
    except CommandError as exc:
        return out.getvalue() + str(exc), exc.returncode
    return out.getvalue(), 0


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
        output, code = run("db_backup", dir=tmp_path / "b", keep=2)
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
        output, code = run("db_backup", dir=tmp_path)
    finally:
        stop.set()
        thread.join()
    assert code == 0
    rows = restored_rows(output.strip(), "customers_customer")
    assert 0 < rows <= len(written)  # a snapshot taken during the writes, not a torn copy


def test_backup_rejects_keep_zero(tmp_path, db):
    assert run("db_backup", dir=tmp_path, keep=0)[1] == 1


# --- cache, jobs, statuses, keys ----------------------------------------------------------------------


@pytest.fixture
def leftovers(make_customer):
    customer = make_customer()
    UpstreamCache.objects.create(key="DD:customer:x", instance="DD", target_name="x", fetched_at=timezone.now())
    old = ReportJob.objects.create(
        customer=customer, status=ReportJob.DONE, finished_at=timezone.now() - timedelta(days=40)
    )
    ReportJob.objects.create(
        customer=make_customer(display_name="B", dd_name="B"),
        status=ReportJob.FAILED,
        finished_at=timezone.now() - timedelta(days=2),
    )
    ReportJob.objects.create(customer=make_customer(display_name="C", dd_name="C"), status=ReportJob.RUNNING)
    return old


def test_clear_cache_refuses_without_confirm(leftovers):
    output, code = run("clear_cache")
    assert code == 2 and "--confirm" in output
    assert UpstreamCache.objects.count() == 1


def test_clear_cache_dry_run_and_confirm(leftovers):
    assert run("clear_cache", "--dry-run", "--jobs")[0] == (
        "would delete 1 cached upstream entries\nwould delete 2 finished report jobs\n"
    )
    assert UpstreamCache.objects.count() == 1 and ReportJob.objects.count() == 3
    output, code = run("clear_cache", "--confirm", "--jobs")
    assert code == 0 and "deleted 1 cached" in output
    assert UpstreamCache.objects.count() == 0
    assert list(ReportJob.objects.values_list("status", flat=True)) == [ReportJob.RUNNING]  # live jobs stay


def test_purge_jobs_deletes_only_old_finished_jobs(leftovers):
    assert run("purge_jobs", days=30, dry_run=True)[0].startswith("would delete 1 ")
    assert ReportJob.objects.count() == 3
    output, code = run("purge_jobs", days=30)
    assert code == 0 and output.startswith("deleted 1 ")
    assert not ReportJob.objects.filter(pk=leftovers.pk).exists() and ReportJob.objects.count() == 2


def test_purge_is_scheduled_daily_for_30_days(db):
    from django_q.models import Schedule

    schedule = Schedule.objects.get(name="purge-jobs")
    assert schedule.func == "reports.tasks.purge_jobs_task" and schedule.kwargs == "days=30"
    assert schedule.schedule_type == Schedule.DAILY


@responses.activate
def test_refresh_statuses(db):
    responses.get(f"{DD_ROOT}/JobsScheduleDetailed", json={"value": [{"ProductionStatus": "Cutting"}]})
    responses.get(f"{CBR_ROOT}/JobsScheduleDetailed", json={"value": [{"ProductionStatus": "Sewing "}]})
    assert run("refresh_statuses", dry_run=True)[0].startswith("2 statuses seen upstream; would add 2")
    assert StatusMapping.objects.count() == 0
    output, code = run("refresh_statuses")
    assert code == 0 and "+ Cutting" in output and "+ Sewing" in output
    assert set(StatusMapping.objects.values_list("odata_status", "active")) == {("Cutting", False), ("Sewing", False)}
    assert run("refresh_statuses")[0].startswith("2 statuses seen upstream; added 0")


@responses.activate
def test_refresh_statuses_exits_1_when_an_account_fails(db):
    responses.get(f"{DD_ROOT}/JobsScheduleDetailed", status=503)
    responses.get(f"{CBR_ROOT}/JobsScheduleDetailed", json={"value": [{"ProductionStatus": "Sewing"}]})
    output, code = run("refresh_statuses")
    assert code == 1 and "DD (unavailable)" in output
    assert StatusMapping.objects.filter(odata_status="Sewing").exists()  # the readable account still counts


def test_create_api_key_prints_a_working_key_once(db, client):
    output, code = run("create_api_key", "chat-bot")
    secret = output.strip()
    assert code == 0 and secret.startswith("bze_")
    assert client.get("/api/v1/statuses", HTTP_X_API_KEY=secret).status_code == 200
    assert run("create_api_key", "chat-bot")[1] == 1  # the name is taken


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


def test_the_purge_schedule_runs_through_django_q(leftovers):
    """The stored kwargs really reach the task, as the scheduler passes them."""
    from django_q.models import Schedule
    from django_q.tasks import async_task, result

    schedule = Schedule.objects.get(name="purge-jobs")
    kwargs = eval(f"dict({schedule.kwargs})")  # noqa: S307 - exactly what django-q2's scheduler does
    task_id = async_task(schedule.func, sync=True, **kwargs)
    assert result(task_id) == "purged 1 finished report jobs older than 30 days"
