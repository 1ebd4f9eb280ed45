"""What "likely by" costs a report build and a page view, side by side with it switched off.

    .venv/bin/python bench/forecast.py [--finished 20000] [--lines 10000] [--runs 7] [--views 200]

A fresh SQLite database (or DATABASE_URL) holding `--finished` finished orders over the
forecast window (three production lines in each account, as a busy factory's half year) and
one customer of `--lines` open lines recorded by ETA history. Two cases, alternated in one
process:
  off  history.selectors.forecast_table answers {} (the build as it was before forecasts);
  on   the forecast table read once per build, likely_by attached to every order.
Prints the median report build (orders grouped, history attached: what happens once per data
version) and the p50/p95 of page views through Django's test client (the page's own cache off,
so every view renders; the built orders are reused as in production).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.eta_history import make_rows, setup_django  # noqa: E402


def seed_finished(count: int) -> None:
    from history.models import OrderEta
    from lib.clock import business_today

    rng = random.Random(3)
    today = business_today()
    lines = {"Roller Blinds": (1, 3), "Curtains": (2, 4), "Shutters": (5, 6)}
    records = []
    for n in range(count):
        line = rng.choice(list(lines))
        mean, spread = lines[line]
        done = today - timedelta(days=rng.randint(1, 179))
        first = done - timedelta(days=round(rng.gauss(mean, spread)))
        seen = datetime.combine(first - timedelta(days=20), datetime.min.time(), tzinfo=UTC)
        records.append(OrderEta(
            instance=rng.choice(["DD", "CBR"]), ref_no=f"F{n}", production_line=line, seen_by="bench",
            first_eta=first, current_eta=first, first_seen_at=seen, closed_at=seen, done_on=done,
        ))  # fmt: skip
    OrderEta.objects.bulk_create(records, batch_size=2000)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--finished", type=int, default=20_000)
    parser.add_argument("--lines", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--views", type=int, default=200)
    args = parser.parse_args()
    setup_django(BUZ_FORECAST_PUBLIC="1", RATELIMIT_ENABLE="0")
    from django.conf import settings
    from django.test import Client
    from django.utils import timezone

    import history.selectors as selectors
    from customers.models import Customer
    from history.recording import eta_record_fetch
    from odata.models import UpstreamCache
    from odata.targets import cache_key
    from reports import report

    settings.ALLOWED_HOSTS = ["*"]
    settings.RATELIMIT_ENABLE = False  # one client asking hundreds of times a minute, on purpose
    settings.REPORT_PAGE_CACHE_SECONDS = 0
    seed_finished(args.finished)
    customer = Customer.objects.create(display_name="Big Customer", dd_name="Big Customer")
    [target] = customer.fetch_targets
    rows = make_rows(args.lines, seed=1)
    for row in rows:
        row["Customer"] = "Big Customer"
    now = timezone.now()
    eta_record_fetch(key=cache_key(target), instance="DD", name="Big Customer", is_group=False, rows=rows,
                     fetched_at=now - timedelta(days=2))  # fmt: skip
    UpstreamCache.objects.create(key=cache_key(target), instance="DD", target_name="Big Customer", is_group=False,
                                 rows=rows, row_count=len(rows), fetched_at=now)  # fmt: skip

    from history.forecast import forecast_table_forget

    cold = []
    for _ in range(args.runs):
        forecast_table_forget()
        began = time.perf_counter()
        real_table_result = selectors.forecast_table()
        cold.append(time.perf_counter() - began)
    real_table = selectors.forecast_table
    modes = {"off": lambda today=None: {}, "on": real_table}
    builds: dict[str, list[float]] = {mode: [] for mode in modes}
    views: dict[str, list[float]] = {mode: [] for mode in modes}
    client = Client()
    url = f"/{customer.obfuscated_id}"
    likely = {}
    # Each mode keeps its own built orders, so views can alternate one by one (the machine's drift
    # then falls on both alike).
    memos = {mode: report.WeightedMemo(lambda: settings.REPORT_MEMO_LINES) for mode in modes}
    for _ in range(args.runs):
        for mode, table in modes.items():
            selectors.forecast_table = table
            report._orders_memo = memos[mode]
            memos[mode].clear()
            results = report.report_peek(customer=customer)
            began = time.perf_counter()
            orders, _ = report._orders(results)
            builds[mode].append(time.perf_counter() - began)
            likely[mode] = sum(1 for o in orders if o.likely_by)
        for _ in range(args.views // args.runs):
            for mode, table in modes.items():
                selectors.forecast_table = table
                report._orders_memo = memos[mode]
                began = time.perf_counter()
                response = client.get(url)
                views[mode].append(time.perf_counter() - began)
                assert response.status_code == 200
    selectors.forecast_table = real_table

    def p(values: list[float], share: float) -> float:
        ordered = sorted(values)
        return ordered[max(0, round(share * len(ordered)) - 1)] * 1000

    print(f"{args.finished} finished orders, a customer of {args.lines} open lines; {args.runs} runs alternated")
    print("| | report build (median) | page p50 | page p95 | orders with likely_by |")
    print("|---|---|---|---|---|")
    for mode in modes:
        build = statistics.median(builds[mode]) * 1000
        print(f"| {mode} | {build:.0f} ms | {p(views[mode], 0.5):.1f} ms | {p(views[mode], 0.95):.1f} ms "
              f"| {likely[mode]} |")  # fmt: skip
    print(f"reading the forecast table itself (each process, every FORECAST_MEMO_SECONDS): "
          f"{statistics.median(cold) * 1000:.0f} ms, {len(real_table_result)} bases")  # fmt: skip
    base_build, base_p95 = statistics.median(builds["off"]), p(views["off"], 0.95)
    build_change = statistics.median(builds["on"]) / base_build - 1
    print(f"build {build_change:+.0%}, page p95 {p(views['on'], 0.95) / base_p95 - 1:+.0%}")


if __name__ == "__main__":
    main()
