"""Cold report latency against the simulator's latency, and upstream calls under a burst.

    .venv/bin/python bench/report_latency.py [--latency 1.0] [--burst 20] [--runs 5]

Starts the simulator in-process with a fixed latency L, a fresh SQLite
database in a temporary folder, and a customer on both accounts. Prints
the cold report time / L (one round trip is the physical limit) and the
number of upstream calls per account made by a burst of simultaneous cold
requests for that customer (single-flight target: 1 per account).
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
    args = parser.parse_args()

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
    from odata.simulator.server import SimulatorConfig, serve_in_thread
    from reports.report import report_build

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
        report = report_build(customer=customer)
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


if __name__ == "__main__":
    main()
