"""What ETA history adds to a live fetch's processing, for one big group (50,000 lines).

    .venv/bin/python bench/eta_history.py [--lines 50000] [--runs 3]

The upstream answer is prebuilt JSON handed over without a network, so the figure
excludes upstream latency: processing is parsing the body, writing the cache entry
and (with history) recording ETAs. Three cases, side by side in one run, on a fresh
SQLite database (or DATABASE_URL when set):
  off     the signal disconnected: the fetch as it was before history;
  first   history on, every order new (bulk inserts);
  steady  history on, every order known, 1 % of them moved (the everyday case).
Prints the median of --runs for each and the overhead against `off`.

    .venv/bin/python bench/eta_history.py --real-client [--lines 50000] [--runs 5]

The same question through the real fetch: the HTTP client paging through the built-in
simulator (in its own process, 1,000 rows a page, no added latency), which reschedules 1 %
of the customer's orders before each recorded fetch. "Processing" is then this process's CPU time
for the fetch (time.process_time): the client's parsing, the cache write and the
recording, without the time spent waiting for the simulator, i.e. upstream latency.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def make_rows(lines: int, *, seed: int, moved_share: float = 0.0) -> list[dict]:
    rng = random.Random(seed)
    moved = random.Random(seed + 1)
    rows, ref = [], 100000
    start = datetime(2026, 12, 1, tzinfo=UTC)
    while len(rows) < lines:
        ref += 1
        eta = start + timedelta(days=rng.randint(0, 60))
        if moved.random() < moved_share:
            eta += timedelta(days=7)
        for line in range(1, rng.randint(2, 10) + 1):
            rows.append(
                {
                    "RefNo": str(ref),
                    "Descn": f"Site {ref}",
                    "FixedLine": line,
                    "DateScheduled": (eta - timedelta(days=rng.choice([0, 0, 1]))).strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "ProductionLine": rng.choice(["Roller Blinds", "Curtains", "Shutters"]),
                    "InventoryItem": "Roller Blind Blockout",
                    "ProductionStatus": "In Production",
                    "OrderStatus": "Work in Progress",
                    "Customer": f"Member {ref % 40}",
                    "Qty": 1,
                    "Location": "Lounge",
                }
            )
    return rows[:lines]


def setup_django(**env: str) -> None:
    """Django on a fresh data directory (SQLite there, unless DATABASE_URL says otherwise), migrated."""
    os.environ.update(
        BUZETA_DATA_DIR=tempfile.mkdtemp(prefix="buzeta-bench-"), DJANGO_SETTINGS_MODULE="buzeta.settings", **env
    )
    os.environ.setdefault("LOG_LEVEL", "ERROR")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--real-client", action="store_true", help="fetch over HTTP from the simulator")
    args = parser.parse_args()
    if args.real_client:
        real_client(args.lines, args.runs)
        return

    setup_django()
    import django

    from history.models import EtaChange, OrderEta
    from history.recording import record_live_rows
    from odata import services
    from odata.signals import live_rows_fetched
    from odata.targets import FetchTarget

    bodies = {
        "first": json.dumps({"value": make_rows(args.lines, seed=1)}).encode(),
        "steady": json.dumps({"value": make_rows(args.lines, seed=1, moved_share=0.01)}).encode(),
    }

    class PrebuiltClient:
        body = b""

        def open_order_lines(self, name, *, is_group, before_request=None):
            return json.loads(self.body)["value"]

    client = PrebuiltClient()
    services.get_client = lambda instance: client
    target = FetchTarget("DD", "Big Group", True)

    def timed(body: bytes) -> float:
        client.body = body
        began = time.perf_counter()
        services._fetch_live(target, services.cache_key(target), renew=lambda: None)
        return time.perf_counter() - began

    results: dict[str, list[float]] = {"off": [], "first": [], "steady": []}
    for _ in range(args.runs):
        live_rows_fetched.disconnect(dispatch_uid="reports-eta-history")
        results["off"].append(timed(bodies["first"]))
        live_rows_fetched.connect(record_live_rows, dispatch_uid="reports-eta-history")
        EtaChange.objects.all().delete()
        OrderEta.objects.all().delete()
        results["first"].append(timed(bodies["first"]))
        results["steady"].append(timed(bodies["steady"]))
        # Back to the first promise, so the next run's steady fetch moves the same orders again.
        client.body = bodies["first"]
        timed(bodies["first"])

    orders = OrderEta.objects.count()
    moves = EtaChange.objects.count()
    base = statistics.median(results["off"])
    engine = django.db.connection.vendor
    print(f"{args.lines} lines, {orders} orders, {engine}, median of {args.runs} runs")
    print("| case | fetch processing (s) | history overhead |")
    print("|---|---|---|")
    for case, times in results.items():
        median = statistics.median(times)
        overhead = "—" if case == "off" else f"{(median - base) / base:+.0%}"
        print(f"| {case} | {median:.3f} | {overhead} |")
    print(f"(moves recorded in the last run's steady fetch and its reset: {moves})")


def _simulator_process(port: int, lines: int, orders: int, requests) -> None:
    """The simulator on its own; each message asks it to reschedule `orders` of the bulk customer's orders."""
    from odata.simulator.dataset import BULK_CUSTOMER, slip_dates
    from odata.simulator.server import SimulatorConfig, serve_in_thread

    config = SimulatorConfig(username="s", password="p", page_size=1000, bulk_lines=lines)  # noqa: S106 - loopback
    server = serve_in_thread(config, port=port)
    requests.send("ready")
    while (round_no := requests.recv()) is not None:
        moved = slip_dates(server.dataset, seed=config.seed, round_no=round_no, orders=orders, among={BULK_CUSTOMER})
        requests.send(len(moved))


def real_client(lines: int, runs: int) -> None:
    import multiprocessing
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    moved_per_fetch = max(1, lines // 6 // 100)  # 1 % of the orders (about six lines each)
    ours, theirs = multiprocessing.Pipe()
    # A daemon: if this process fails (say, the database is down) it must not wait on the simulator.
    simulator = multiprocessing.Process(
        target=_simulator_process, args=(port, lines, moved_per_fetch, theirs), daemon=True
    )
    simulator.start()
    assert ours.recv() == "ready"
    setup_django(
        BUZ_DD_URL=f"http://127.0.0.1:{port}/reports/DESDR",
        BUZ_DD_USERNAME="s",
        BUZ_DD_PASSWORD="p",  # noqa: S106 - the simulator's, on loopback
        BUZ_BLACKOUT="off",
    )
    import django

    from history.models import EtaChange
    from history.recording import record_live_rows
    from odata import services
    from odata.signals import live_rows_fetched
    from odata.simulator.dataset import BULK_CUSTOMER
    from odata.targets import FetchTarget

    target = FetchTarget("DD", BULK_CUSTOMER, False)
    key = services.cache_key(target)
    rounds = iter(range(1, 10_000))

    def timed(*, reschedule: bool) -> tuple[float, float, int]:
        if reschedule:  # 1 % of the orders move, as the factory reschedules
            ours.send(next(rounds))
            ours.recv()
        cpu, wall = time.process_time(), time.perf_counter()
        result = services._fetch_live(target, key, renew=lambda: None)
        return time.process_time() - cpu, time.perf_counter() - wall, len(result.rows)

    changes_before = EtaChange.objects.count()  # DATABASE_URL may point at a database with history in it
    timed(reschedule=False)  # history records its first sight of every order
    results: dict[str, list[tuple[float, float, int]]] = {"off": [], "steady": []}
    for _ in range(runs):
        live_rows_fetched.disconnect(dispatch_uid="reports-eta-history")
        results["off"].append(timed(reschedule=False))
        live_rows_fetched.connect(record_live_rows, dispatch_uid="reports-eta-history")
        results["steady"].append(timed(reschedule=True))
    ours.send(None)
    simulator.join(10)

    base = statistics.median(cpu for cpu, _, _ in results["off"])
    rows = results["off"][0][2]
    print(f"{rows} lines over HTTP, {django.db.connection.vendor}, median of {runs} runs")
    print("| case | CPU for the fetch (s) | wall clock (s) | history overhead (CPU) |")
    print("|---|---|---|---|")
    for case, measured in results.items():
        cpu = statistics.median(m[0] for m in measured)
        wall = statistics.median(m[1] for m in measured)
        overhead = "—" if case == "off" else f"{(cpu - base) / base:+.0%}"
        print(f"| {case} | {cpu:.3f} | {wall:.3f} | {overhead} |")
    print(f"(ETA changes recorded by the {runs} recorded fetches: {EtaChange.objects.count() - changes_before})")


if __name__ == "__main__":
    main()
