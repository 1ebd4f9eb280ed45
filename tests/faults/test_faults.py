"""Fault tests with real processes: a worker killed mid-job, PostgreSQL restarted under traffic, a full disk.

They take minutes, not seconds.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
from django.db import connection

from customers.models import Customer
from reports.models import ReportJob
from tests.conftest import Process, app_env, cache_rows, order_line, start_gunicorn, wait_until

pytestmark = [pytest.mark.fault, pytest.mark.django_db(transaction=True)]


# --- a worker killed in the middle of a job ----------------------------------------------------------


@pytest.fixture
def simulator_config(simulator_config):
    simulator_config.latency = 4.0  # long enough to kill the worker while it waits on BuzManager
    return simulator_config


def test_a_worker_killed_mid_job_is_recovered_within_the_stall_limit_and_a_lease(
    client, simulator, tmp_path, monkeypatch, settings
):
    from django_q.conf import Conf

    monkeypatch.setattr(Conf, "SYNC", False)
    # The stall limit and the fetch budget are settings: small ones here, so the test takes seconds, not minutes.
    settings.BUZ_JOB_STALL_SECONDS = 12
    timing = {"BUZ_JOB_STALL_SECONDS": "12", "BUZ_CONNECT_TIMEOUT": "1", "BUZ_READ_TIMEOUT": "6"}
    customer = Customer.objects.create(
        display_name="Sunset", dd_name="Sunset Shade Solutions", cbr_name="Sunset Shade Solutions"
    )
    env = app_env(simulator, tmp_path, **timing)
    worker = Process([sys.executable, "manage.py", "qcluster"], env, tmp_path / "worker1.log")
    replacement = None
    try:
        job_id = client.get(f"/{customer.obfuscated_id}").context["job"].pk
        # Killed in the middle of the 4 s upstream call: once the simulator has been asked.
        wait_until(lambda: simulator.started >= 1, why=worker.output())
        worker.kill()
        killed_at = time.monotonic()
        replacement = Process([sys.executable, "manage.py", "qcluster"], env, tmp_path / "worker2.log")

        status = {}
        while time.monotonic() - killed_at < 90:
            status = client.get(f"/jobs/{job_id}").json()  # polling is what notices the stall
            if status["status"] in ("done", "failed"):
                break
            time.sleep(1)
        took = time.monotonic() - killed_at
    finally:
        worker.stop()
        if replacement:
            replacement.stop()
    job = ReportJob.objects.get(pk=job_id)
    print(f"worker killed mid-job: job {status.get('status')} {took:.1f} s after the kill")
    assert status.get("status") == "done", (status, replacement.output()[-2000:])
    # Re-queued once the stall limit passed (12 s), run once the dead worker's lease ran out (budget 9 s + 10).
    assert took <= 45
    assert (job.recoveries, job.attempts) == (1, 2)
    assert "This is taking longer than usual; trying again…" in job.log


# --- PostgreSQL restarted under traffic -------------------------------------------------------------------


def test_restarting_postgresql_under_traffic_fails_cleanly_then_recovers(simulator, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no server to restart; this runs in the PostgreSQL leg of CI")
    restart = os.environ.get("BUZETA_PG_RESTART")
    if not restart:
        pytest.skip("set BUZETA_PG_RESTART to a command that restarts the test server (CI does)")
    customer = Customer.objects.create(display_name="Northside", dd_name="Northside Window Co")
    cache_rows(customer, [order_line(RefNo="1", ProductionStatus="Sewing")])
    env = app_env(simulator, tmp_path, RATELIMIT_PUBLIC="100000/m")
    web, base = start_gunicorn(env, tmp_path / "web.log")
    results: list[tuple[float, int, str]] = []
    stop = threading.Event()

    def traffic():
        while not stop.is_set():
            started = time.monotonic()
            try:
                response = requests.get(f"{base}/{customer.obfuscated_id}", timeout=30)
                results.append((started, response.status_code, response.text))
            except requests.RequestException as exc:
                results.append((started, 0, repr(exc)))
            time.sleep(0.05)

    threads = [threading.Thread(target=traffic) for _ in range(4)]
    try:
        for thread in threads:
            thread.start()
        wait_until(lambda: sum(1 for r in results if r[1] == 200) >= 10, why="no traffic before the restart")
        restart_started = time.monotonic()
        subprocess.run(shlex.split(restart), check=True, cwd=Path(__file__).resolve().parents[2], timeout=60)
        restarted = time.monotonic()
        # Served again after the restart, by every gunicorn worker's fresh connections.
        wait_until(lambda: sum(1 for r in results if r[0] > restarted + 1 and r[1] == 200) >= 10, timeout=60)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
        web.stop()
        # The restart cut this test's own connection too; reconnect for the teardown.
        from django.db import connections

        connections.close_all()
    statuses = [status for _, status, _ in results]
    after = [status for started, status, _ in results if started > restarted + 1]
    failures = [(status, text) for _, status, text in results if status != 200]
    print(
        f"PostgreSQL restart ({restarted - restart_started:.1f} s): {len(results)} requests, "
        f"{statuses.count(200)} ok, failures {sorted(set(s for s, _ in failures))}"
    )
    assert all(status in (200, 503) for status in statuses), [(s, t[:300]) for s, t in failures]
    assert all("briefly unavailable" in text for status, text in failures)  # clean, no traceback
    assert after and all(status == 200 for status in after)  # recovered without restarting the app


# --- a full disk under SQLite -------------------------------------------------------------------------------


@pytest.fixture
def tiny_disk(tmp_path):
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        [shutil.which("mount") or "/bin/mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", str(mount)],
        capture_output=True,
    )
    if done.returncode != 0:
        pytest.skip(f"NO FULL-DISK TEST: cannot mount a small tmpfs here ({done.stderr.decode().strip()})")
    yield mount
    subprocess.run([shutil.which("umount") or "/bin/umount", "-l", str(mount)], check=False)


def fill_to_the_last_byte(filler: Path) -> None:
    with filler.open("ab", buffering=0) as f:
        for size in (65536, 4096, 512, 1):
            try:
                while True:
                    f.write(b"\0" * size)
                    f.flush()
            except OSError:
                pass


def test_a_full_disk_gives_a_clear_error_and_no_corruption(simulator, tiny_disk, tmp_path):
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite leg of CI covers the full disk")
    env = app_env(simulator, tiny_disk, RATELIMIT_PUBLIC="100000/m", WEB_CONCURRENCY="1")
    env.pop("DATABASE_URL")  # the embedded default: SQLite in BUZETA_DATA_DIR, on the tiny disk
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v0"], env=env, cwd=Path(__file__).resolve().parents[2], check=True)
    subprocess.run(
        [*manage, "seed_demo"],
        env={**env, "DEMO_ADMIN_PASSWORD": "x-long-enough-pass"},
        cwd=Path(__file__).resolve().parents[2],
        check=True,
        capture_output=True,
    )
    database = tiny_disk / "db.sqlite3"
    import sqlite3

    links = [row[0] for row in sqlite3.connect(database).execute("SELECT obfuscated_id FROM customers_customer")]
    web, base = start_gunicorn(env, tmp_path / "web.log")
    filler = tiny_disk / "filler"
    try:
        assert requests.get(f"{base}/{links[0]}", timeout=30).status_code == 200
        fill_to_the_last_byte(filler)
        full = [requests.get(f"{base}/{link}", timeout=30) for link in links * 3]
        fill_to_the_last_byte(filler)  # what SQLite freed while failing (its WAL) is taken again
        health_while_full = requests.get(f"{base}/api/v1/health", timeout=30)
        filler.unlink()
        after = [requests.get(f"{base}/{link}", timeout=30).status_code for link in links]
    finally:
        web.stop()
    statuses = [r.status_code for r in full]
    print(f"full disk: statuses while full {statuses}, after freeing space {after}")
    assert 503 in statuses and 500 not in statuses
    assert 429 not in statuses  # a visit that cannot be counted is not "too many requests"
    assert all("briefly unavailable" in r.text for r in full if r.status_code == 503)
    # The operator is told what happened; SQLite says "disk I/O error" when it cannot even
    # create its WAL index, "database or disk is full" when a write runs out of room.
    cause = r"(database unavailable|rate-limit counters cannot be written): (disk I/O error|database or disk is full)"
    assert re.search(cause, web.output())
    # …and so does the health check a monitor polls.
    assert health_while_full.status_code == 503, health_while_full.text
    assert health_while_full.json()["status"] == "unavailable"
    assert not (health_while_full.json()["disk"] and health_while_full.json()["db_write"])
    assert all(status == 200 for status in after)
    check = sqlite3.connect(database)
    assert check.execute("PRAGMA integrity_check").fetchone() == ("ok",)
