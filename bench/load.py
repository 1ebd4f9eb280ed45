"""Load on cached report pages through gunicorn, against a trivial view on the same server.

    .venv/bin/python bench/load.py [--seconds 60] [--connections 50]

Loopback only (127.0.0.1), bounded in time. Needs wrk (apt-get install wrk).
Builds a production-like server in a temporary folder: APP_ENV=production
settings, collectstatic, migrate, demo customers, the simulator for the
prewarm, then gunicorn with gunicorn.conf.py. Runs wrk against a cached
report page and then against the home page (no database, no upstream) as
the ceiling, and prints requests/s, p50 and p99, and errors for both.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wrk(url: str, *, seconds: int, connections: int) -> dict:
    out = subprocess.run(
        [
            shutil.which("wrk") or "wrk",
            "-t2",
            f"-c{connections}",
            f"-d{seconds}s",
            "--latency",
            "--timeout",
            "10s",
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout

    def ms(label: str) -> float:
        value, unit = re.search(rf"^\s+{label}\s+([\d.]+)(us|ms|s)\s*$", out, re.M).groups()
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),
        "p50": ms("50%"),
        "p99": ms("99%"),
        "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
        "socket_errors": socket_errors.group(1) if socket_errors else "none",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--connections", type=int, default=50)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install wrk")

    from odata.simulator.server import SimulatorConfig, serve_in_thread

    data_dir = Path(tempfile.mkdtemp(prefix="buzeta-load-"))
    sim = serve_in_thread(SimulatorConfig(latency=0.2))
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("BUZ_", "DATABASE_URL", "REDIS_URL"))},
        "APP_ENV": "production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",  # plain HTTP on loopback; a proxy terminates TLS in production
        "BUZETA_DATA_DIR": str(data_dir),
        "BUZ_DD_URL": f"{sim.root_url}/DESDR",
        "BUZ_CBR_URL": f"{sim.root_url}/WATSO",
        "BUZ_DD_USERNAME": "buzeta",
        "BUZ_DD_PASSWORD": "demo",
        "BUZ_CBR_USERNAME": "buzeta",
        "BUZ_CBR_PASSWORD": "demo",
        "BUZ_FRESH_MINUTES": "60",  # the pages stay cached for the whole run
        "RATELIMIT_PUBLIC": "1000000/m",  # a load test, not a rate-limit test
        "LOG_LEVEL": "WARNING",
        "PORT": str(port),
    }
    manage = [sys.executable, "manage.py"]
    for step in (["migrate", "-v0"], ["collectstatic", "--noinput", "-v0"], ["seed_demo"], ["prewarm_cache"]):
        subprocess.run(
            [*manage, *step],
            env={**env, "DEMO_ADMIN_PASSWORD": "load-test-admin-pass"},
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
    import sqlite3

    link = (
        sqlite3.connect(data_dir / "db.sqlite3")
        .execute("SELECT obfuscated_id FROM customers_customer WHERE display_name = 'Sunset Shade Solutions'")
        .fetchone()[0]
    )
    with (data_dir / "gunicorn.log").open("w") as log:
        web = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "buzeta.wsgi"],
            env=env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        import requests

        deadline = time.monotonic() + 30
        while True:
            try:
                page = requests.get(f"{base}/{link}", timeout=5)
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline:
                    sys.exit((data_dir / "gunicorn.log").read_text())
                time.sleep(0.2)
        assert page.status_code == 200 and "Order " in page.text, "the report page is not served from cache"
        report = wrk(f"{base}/{link}", seconds=args.seconds, connections=args.connections)
        ceiling = wrk(f"{base}/", seconds=args.seconds, connections=args.connections)
    finally:
        web.terminate()
        web.wait(timeout=30)
        sim.shutdown()

    workers = os.cpu_count() * 2 + 1
    print(f"{args.connections} connections, {args.seconds} s each, gunicorn {workers} workers x 4 threads, SQLite")
    print(f"{'page':<22}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'requests':>10}{'non-2xx':>9}  socket errors")
    for name, r in (("cached report page", report), ("trivial view (home)", ceiling)):
        figures = f"{r['rps']:>9.1f}{r['p50']:>9.1f}{r['p99']:>9.1f}{r['requests']:>10}{r['non_2xx']:>9}"
        print(f"{name:<22}{figures}  {r['socket_errors']}")
    print(f"report / ceiling: {report['rps'] / ceiling['rps']:.0%}  (target >= 50%)")


if __name__ == "__main__":
    main()
