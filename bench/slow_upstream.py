"""A BuzManager slower than the read timeout, and the rest of the site: does it stay fast?

    .venv/bin/python bench/slow_upstream.py [--cold 20] [--latency 8] [--read-timeout 5]

Loopback only, bounded in time. Builds a production-like server in a temporary
folder (APP_ENV=production, collectstatic, migrate, demo customers, gunicorn
with gunicorn.conf.py and a real qcluster), caches one customer, then makes
the simulator slower than BUZ_READ_TIMEOUT and fires --cold concurrent
/sync/ requests for customers never cached. While they are in flight it
probes the home page and the cached customer's page one request at a time,
and it measures the same probes on the idle server first, in the same run.
Targets: home p99 < 250 ms and cached page p99 < 500 ms under the slow load.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.load import free_port  # noqa: E402


def timed(session, url: str) -> tuple[float, int]:
    started = time.perf_counter()
    response = session.get(url, timeout=120)
    return (time.perf_counter() - started) * 1000, response.status_code


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]


def probe(base: str, cached_link: str, *, until, max_rounds: int = 2000) -> dict[str, list[float]]:
    import requests

    session = requests.Session()
    found: dict[str, list[float]] = {"home": [], "cached page": []}
    for _ in range(max_rounds):
        if until():
            break
        found["home"].append(timed(session, f"{base}/")[0])
        found["cached page"].append(timed(session, f"{base}/{cached_link}")[0])
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cold", type=int, default=20)
    parser.add_argument("--latency", type=float, default=8.0)
    parser.add_argument("--read-timeout", type=float, default=5.0)
    args = parser.parse_args()

    import requests

    from odata.simulator.server import SimulatorConfig, serve_in_thread

    data_dir = Path(tempfile.mkdtemp(prefix="buzeta-slow-"))
    sim = serve_in_thread(SimulatorConfig(latency=0.0))
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("BUZ_", "DATABASE_URL", "REDIS_URL"))},
        "APP_ENV": "production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "BUZETA_DATA_DIR": str(data_dir),
        "BUZ_DD_URL": f"{sim.root_url}/DESDR",
        "BUZ_CBR_URL": f"{sim.root_url}/WATSO",
        "BUZ_DD_USERNAME": "buzeta",
        "BUZ_DD_PASSWORD": "demo",
        "BUZ_CBR_USERNAME": "buzeta",
        "BUZ_CBR_PASSWORD": "demo",
        "BUZ_BLACKOUT": "off",
        "BUZ_FRESH_MINUTES": "60",
        "BUZ_READ_TIMEOUT": str(args.read_timeout),
        "RATELIMIT_PUBLIC": "1000000/m",
        "LOG_LEVEL": "WARNING",
        "PORT": str(port),
    }
    manage = [sys.executable, "manage.py"]
    for step in (["migrate", "-v0"], ["collectstatic", "--noinput", "-v0"], ["seed_demo"], ["prewarm_cache"]):
        # seed_demo refuses to run outside development: the demo customers are made as in `make run`.
        seeding = {"APP_ENV": "development", "DEMO_ADMIN_PASSWORD": "bench-admin-pass"} if step == ["seed_demo"] else {}
        subprocess.run(
            [*manage, *step],
            env={**env, **seeding},
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
    db = sqlite3.connect(data_dir / "db.sqlite3")
    links = dict(db.execute("SELECT display_name, obfuscated_id FROM customers_customer").fetchall())
    cached_name = "Sunset Shade Solutions"
    cached_link = links.pop(cached_name)
    # Everyone else is cold: never fetched.
    db.execute("DELETE FROM odata_upstreamcache WHERE target_name NOT LIKE 'Sunset%'")
    db.commit()
    cold_links = (list(links.values()) * args.cold)[: args.cold]

    logs = {name: (data_dir / f"{name}.log").open("w") for name in ("gunicorn", "worker")}
    web = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "buzeta.wsgi"],
        env=env,
        cwd=ROOT,
        stdout=logs["gunicorn"],
        stderr=subprocess.STDOUT,
    )
    worker = subprocess.Popen([*manage, "qcluster"], env=env, cwd=ROOT, stdout=logs["worker"], stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(f"{base}/", timeout=5)
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline:
                    sys.exit((data_dir / "gunicorn.log").read_text())
                time.sleep(0.2)
        idle_until = time.monotonic() + 5
        idle = probe(base, cached_link, until=lambda: time.monotonic() > idle_until)

        sim.config.latency = args.latency  # now slower than the read timeout
        with ThreadPoolExecutor(max_workers=args.cold) as pool:
            sessions = [requests.Session() for _ in cold_links]
            started = time.perf_counter()
            syncs = [pool.submit(timed, s, f"{base}/sync/{link}") for s, link in zip(sessions, cold_links, strict=True)]
            time.sleep(0.2)
            loaded = probe(base, cached_link, until=lambda: all(f.done() for f in syncs))
            answers = [f.result() for f in syncs]
            all_done = (time.perf_counter() - started) * 1000
    finally:
        web.terminate()
        worker.terminate()
        web.wait(timeout=30)
        worker.wait(timeout=30)
        sim.shutdown()

    workers = os.cpu_count() * 2 + 1
    print(
        f"{args.cold} concurrent cold /sync/, simulator latency {args.latency:g} s, read timeout "
        f"{args.read_timeout:g} s; gunicorn {workers} workers x 4 threads, SQLite, 1 qcluster (2 workers)"
    )
    print(f"{'probe':<28}{'n':>6}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    for label, found in (("idle", idle), ("while /sync/ in flight", loaded)):
        for name, values in found.items():
            row = f"{len(values):>6}{statistics.median(values):>9.1f}{p99(values):>9.1f}{max(values):>9.1f}"
            print(f"{label + ': ' + name:<28}{row}")
    times = [ms for ms, _ in answers]
    statuses = sorted({status for _, status in answers})
    print(
        f"/sync/ answers: p50 {statistics.median(times):.0f} ms, max {max(times):.0f} ms, "
        f"statuses {statuses}; all answered after {all_done:.0f} ms"
    )
    home, page = p99(loaded["home"]), p99(loaded["cached page"])
    print(f"home p99 {home:.0f} ms (target < 250), cached page p99 {page:.0f} ms (target < 500)")


if __name__ == "__main__":
    main()
