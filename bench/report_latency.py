"""Cold report latency against the simulator's latency, and upstream calls under a burst.

    .venv/bin/python bench/report_latency.py [--latency 1.0] [--burst 20] [--runs 5]
    .venv/bin/python bench/report_latency.py --real-worker [--broker orm|redis] [--latency 0.5] [--runs 7]

Starts the simulator in-process with a fixed latency L, a fresh SQLite
database in a temporary folder, and a customer on both accounts. Prints
the cold report time / L (one round trip is the physical limit) and the
number of upstream calls per account made by a burst of simultaneous cold
requests for that customer (single-flight target: 1 per account).

--real-worker measures the path a customer's request really takes: gunicorn
(gunicorn.conf.py) answering a cold `GET /sync/<id>`, a real `qcluster` running
the report job against the simulator, the web thread waiting for it. The broker
is the embedded default (django-q2's ORM broker) or Redis (a redis-server the
script starts). Target: time / L ≤ 1.1. It also prints where a run's time went:
queued → picked up by the worker, the job's fetch and build, and finished →
answered by the web thread.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--latency", type=float, default=1.0, help="simulator latency L in seconds")
    parser.add_argument("--burst", type=int, default=20, help="simultaneous cold requests")
    parser.add_argument("--runs", type=int, default=5, help="cold reports to time")
    parser.add_argument("--real-worker", action="store_true", help="through gunicorn and a real qcluster")
    parser.add_argument("--broker", choices=["orm", "redis"], default="orm", help="with --real-worker")
    args = parser.parse_args()
    if args.real_worker:
        real_worker(args)
        return

    data_dir = tempfile.mkdtemp(prefix="buzeta-bench-")
    os.environ.update(BUZETA_DATA_DIR=data_dir, DJANGO_SETTINGS_MODULE="buzeta.settings", LOG_LEVEL="ERROR")
    os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connections
    from django.test import Client

    from customers.models import Customer
    from odata.models import UpstreamCache
    from odata.services import fetch_targets
    from odata.simulator.server import SimulatorConfig, serve_in_thread
    from reports.report import report_from_results

    call_command("migrate", verbosity=0)
    # One page per account, so the ideal is exactly one round trip per report.
    sim = serve_in_thread(SimulatorConfig(latency=args.latency, page_size=10_000))
    settings.BUZ_ACCOUNTS = {
        "DD": {"url": f"{sim.root_url}/DESDR", "username": "buzeta", "password": "demo"},
        "CBR": {"url": f"{sim.root_url}/WATSO", "username": "buzeta", "password": "demo"},
    }
    settings.BUZ_BLACKOUT = None
    customer = Customer.objects.create(
        display_name="Sunset Shade Solutions", dd_name="Sunset Shade Solutions", cbr_name="Sunset Shade Solutions"
    )

    timings = []
    for _ in range(args.runs):
        UpstreamCache.objects.all().delete()
        started = time.perf_counter()
        report = report_from_results(customer=customer, results=fetch_targets(customer.fetch_targets))
        timings.append(time.perf_counter() - started)
    median = statistics.median(timings)

    UpstreamCache.objects.all().delete()
    before = {acc: sim.count(account=acc) for acc in ("DESDR", "WATSO")}
    barrier = threading.Barrier(args.burst)
    statuses: list[int] = []

    def cold_request() -> None:
        try:
            barrier.wait()
            statuses.append(Client().get(f"/sync/{customer.obfuscated_id}", HTTP_HOST="localhost").status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=cold_request) for _ in range(args.burst)]
    burst_started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    burst_time = time.perf_counter() - burst_started
    calls = {acc: sim.count(account=acc) - before[acc] for acc in before}
    sim.shutdown()

    print(f"simulator latency L           {args.latency:.3f} s")
    print(f"cold report (median of {args.runs})    {median:.3f} s   ({report.order_count} orders, both accounts)")
    print(f"time / L                      {median / args.latency:.3f}   (target <= 1.15)")
    print(f"burst of {args.burst} cold requests     {burst_time:.3f} s, statuses {sorted(set(statuses))}")
    print(f"upstream calls in the burst   DD {calls['DESDR']}, CBR {calls['WATSO']}   (target 1 per account)")


def real_worker(args) -> None:
    """Cold /sync/ through gunicorn and a real qcluster, timed from the client (see the module docstring)."""
    import shutil
    import sqlite3
    import subprocess

    import requests

    from bench.load import free_port
    from odata.simulator.server import SimulatorConfig, serve_in_thread

    data_dir = Path(tempfile.mkdtemp(prefix="buzeta-latency-"))
    sim = serve_in_thread(SimulatorConfig(latency=args.latency, page_size=10_000))
    processes: list[subprocess.Popen] = []
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("BUZ_", "DATABASE_URL", "REDIS_URL"))},
        "BUZETA_DATA_DIR": str(data_dir),
        "BUZ_DD_URL": f"{sim.root_url}/DESDR",
        "BUZ_CBR_URL": f"{sim.root_url}/WATSO",
        "BUZ_DD_USERNAME": "buzeta",
        "BUZ_DD_PASSWORD": "demo",
        "BUZ_CBR_USERNAME": "buzeta",
        "BUZ_CBR_PASSWORD": "demo",
        "BUZ_BLACKOUT": "off",
        "BUZ_REFRESH_MINUTES": "0",
        "LOG_LEVEL": "WARNING",
        "WEB_CONCURRENCY": "2",
    }
    if args.broker == "redis":
        redis_port = free_port()
        redis = shutil.which("redis-server") or "/usr/bin/redis-server"
        processes.append(
            subprocess.Popen(
                [redis, "--port", str(redis_port), "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL
            )
        )
        env["REDIS_URL"] = f"redis://127.0.0.1:{redis_port}/0"
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], env=env, check=True, cwd=ROOT)
    database = sqlite3.connect(data_dir / "db.sqlite3", timeout=20)
    link = "bench-latency-0123456789"
    with database:
        database.execute(
            "INSERT INTO customers_customer (display_name, dd_name, cbr_name, field_type, obfuscated_id, view_count,"
            " created_at, updated_at) VALUES (?, ?, ?, 'Customer Name', ?, 0, datetime('now'), datetime('now'))",
            ("Sunset Shade Solutions", "Sunset Shade Solutions", "Sunset Shade Solutions", link),
        )
    port = free_port()
    log = (data_dir / "processes.log").open("w")
    processes.append(subprocess.Popen([*manage, "qcluster"], env=env, cwd=ROOT, stdout=log, stderr=log))
    processes.append(
        subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "buzeta.wsgi"],
            env={**env, "PORT": str(port)},
            cwd=ROOT,
            stdout=log,
            stderr=log,
        )
    )
    base = f"http://127.0.0.1:{port}"
    session = requests.Session()
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                session.get(f"{base}/", timeout=5)
                break
            except requests.RequestException:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

        def forget() -> None:
            with database:
                database.execute("DELETE FROM odata_upstreamcache")
                database.execute("DELETE FROM reports_reportjob")

        def cold() -> tuple[float, requests.Response]:
            forget()
            started = time.perf_counter()
            response = session.get(f"{base}/sync/{link}", timeout=60)
            return time.perf_counter() - started, response

        for _ in range(2):  # warm both gunicorn workers and the cluster
            cold()
        timings, phases = [], []
        for _ in range(args.runs):
            elapsed, response = cold()
            assert response.status_code == 200 and "Order " in response.text, (
                response.status_code,
                response.text[:300],
            )
            timings.append(elapsed)
            row = database.execute(
                "SELECT julianday(started_at) - julianday(queued_at), julianday(finished_at) - julianday(started_at)"
                " FROM reports_reportjob ORDER BY created_at DESC LIMIT 1"
            ).fetchone()
            phases.append((row[0] * 86400, row[1] * 86400))
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in processes:
            process.wait(timeout=30)
        sim.shutdown()
    median = statistics.median(timings)
    pickup = statistics.median(p[0] for p in phases)
    job = statistics.median(p[1] for p in phases)
    print(f"broker                        {args.broker}")
    print(f"simulator latency L           {args.latency:.3f} s")
    print(f"cold /sync/ (median of {args.runs})    {median:.3f} s   runs {', '.join(f'{t:.3f}' for t in timings)}")
    print(f"time / L                      {median / args.latency:.3f}   (target <= 1.1)")
    print(f"where it went (medians)       queued -> picked up {pickup * 1000:.0f} ms, job {job * 1000:.0f} ms,")
    print(f"                              the rest (web, waiting, HTTP) {(median - pickup - job) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
