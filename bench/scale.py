"""Big customers: what each part costs at 100, 1,000, 10,000 and 50,000 open lines.

    .venv/bin/python bench/scale.py [--lines 100 1000 10000 50000] [--phone 10000]

Each size runs in its own process (so peak memory is that size's), on a fresh SQLite
database, with the built-in simulator holding one DD customer of that many lines
(`bulk_lines`, 8 lines an order) on loopback, no latency, 1,000 rows a page. Measured
through Django's test client (no network between client and app):

  job       the report job: fetch every page, cache, record ETA history, build the report
  page 1st  the customer page from cached data, first view after the fetch (rows decoded, orders built)
  page      the same page again (what every later visitor gets): server time, and its HTML size
  sync      /sync/, the whole printable report (every order, never paged), from the same cached data
  csv/xlsx  the first download (built and kept), then a repeat (sent from the kept file)
  304       a repeat download from a browser that has it (If-None-Match)
  job KB    what the job keeps in the database
  RSS MB    the process's peak resident memory

`--phone N` also loads that size's page in Debian's Chromium at 390 px with a 4x CPU
slowdown, served by a local threaded WSGI server, and reports the load event time.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def timed(fn, repeats: int = 1) -> float:
    """Median seconds of `fn()` over `repeats` runs."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def consume(response) -> int:
    return len(b"".join(response.streaming_content)) if response.streaming else len(response.content)


def phone_load_seconds(url: str) -> float:
    import shutil

    from playwright.sync_api import sync_playwright

    chromium = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
        context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": 4})
        loads = []
        for _ in range(3):
            page.goto(url, wait_until="load")
            loads.append(page.evaluate("() => performance.getEntriesByType('navigation')[0].loadEventEnd") / 1000)
        browser.close()
    return statistics.median(loads)


def measure(lines: int, phone: bool) -> dict:
    os.environ.update(
        BUZETA_DATA_DIR=tempfile.mkdtemp(prefix="buzeta-scale-"),
        DJANGO_SETTINGS_MODULE="buzeta.settings",
        LOG_LEVEL="ERROR",
        DJANGO_ALLOW_ASYNC_UNSAFE="true",
    )
    os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from django.test import Client
    from django_q.conf import Conf

    from customers.models import Customer
    from odata.simulator.dataset import BULK_CUSTOMER
    from odata.simulator.server import SimulatorConfig, serve_in_thread
    from reports.jobs import job_run, job_start_or_join
    from reports.models import ReportJob

    config = SimulatorConfig(username="s", password="p", page_size=1000, bulk_lines=lines)  # noqa: S106 - loopback
    server = serve_in_thread(config)
    settings.BUZ_ACCOUNTS = {
        instance: {"url": f"{server.root_url}/{account}", "username": "s", "password": "p"}
        for instance, account in (("DD", "DESDR"), ("CBR", "WATSO"))
    }
    settings.ALLOWED_HOSTS = ["*"]
    settings.RATELIMIT_ENABLE = False
    settings.BUZ_BLACKOUT = None
    settings.BUZ_FRESH_MINUTES = 600
    settings.REPORT_PAGE_CACHE_SECONDS = 0  # measure the work, not the 5-second page reuse
    Conf.SYNC = False  # the job is run here, by hand, and timed

    customer = Customer.objects.create(display_name="Bulk", dd_name=BULK_CUSTOMER)
    job = job_start_or_join(customer=customer)
    job_seconds = timed(lambda: job_run(str(job.pk)))
    job.refresh_from_db()
    assert job.status == ReportJob.DONE, job.error

    client = Client()
    page_url = f"/{customer.obfuscated_id}"
    other = Customer.objects.create(display_name="Warm-up", dd_name="Northside Window Co")
    client.get(f"/{other.obfuscated_id}")  # templates, URLs and connections warmed on another customer
    first_page = timed(lambda: client.get(page_url))
    response = client.get(page_url)
    assert response.status_code == 200
    page = timed(lambda: client.get(page_url), repeats=5)
    whole = client.get(f"/sync/{customer.obfuscated_id}")
    sync = timed(lambda: client.get(f"/sync/{customer.obfuscated_id}"), repeats=3)
    result = {
        "sync_s": sync,
        "sync_kb": len(whole.content) / 1024,
        "lines": lines,
        "job_s": job_seconds,
        "page_first_s": first_page,
        "page_s": page,
        "html_kb": len(response.content) / 1024,
        "job_kb": len(json.dumps(job.result)) / 1024,
    }
    for fmt in ("csv", "xlsx"):
        url = f"{page_url}/download.{fmt}"
        result[f"{fmt}_first_s"] = timed(lambda url=url: consume(client.get(url)))
        result[f"{fmt}_repeat_s"] = timed(lambda url=url: consume(client.get(url)), repeats=3)
        etag = client.get(url)["ETag"]
        result[f"{fmt}_304_s"] = timed(lambda url=url, etag=etag: client.get(url, HTTP_IF_NONE_MATCH=etag), repeats=3)
    if phone:
        from socketserver import ThreadingMixIn
        from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

        from django.core.wsgi import get_wsgi_application

        class Quiet(WSGIRequestHandler):
            def log_message(self, *args):
                pass

        class Threaded(ThreadingMixIn, WSGIServer):
            daemon_threads = True

        web = make_server("127.0.0.1", 0, get_wsgi_application(), server_class=Threaded, handler_class=Quiet)
        threading.Thread(target=web.serve_forever, daemon=True).start()
        settings.STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"
        result["phone_load_s"] = phone_load_seconds(f"http://127.0.0.1:{web.server_port}{page_url}")
        web.shutdown()
    result["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    server.shutdown()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, nargs="+", default=[100, 1000, 10_000, 50_000])
    parser.add_argument("--phone", type=int, default=10_000, help="size whose page Chromium loads (0: none)")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # a single size, in this process
    args = parser.parse_args()
    if args.one is not None:
        print(json.dumps(measure(args.one, phone=args.one == args.phone)))
        return
    rows = []
    for lines in args.lines:
        output = subprocess.run(
            [sys.executable, __file__, "--one", str(lines), "--phone", str(args.phone)],
            capture_output=True,
            text=True,
            check=True,
        )
        rows.append(json.loads(output.stdout.strip().splitlines()[-1]))
    print("| lines | job | page, first view | page | first screen | /sync/ (whole report) | CSV first / repeat / 304 | "
          "XLSX first / repeat / 304 | job keeps | peak RSS | phone load (4x CPU) |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        phone = f"{r['phone_load_s']:.2f} s" if "phone_load_s" in r else ""
        print(
            f"| {r['lines']:,} | {r['job_s']:.2f} s | {r['page_first_s'] * 1000:.0f} ms | {r['page_s'] * 1000:.0f} ms "
            f"| {r['html_kb']:.0f} KB | {r['sync_s'] * 1000:.0f} ms, {r['sync_kb']:,.0f} KB "
            f"| {r['csv_first_s'] * 1000:.0f} / {r['csv_repeat_s'] * 1000:.0f} / "
            f"{r['csv_304_s'] * 1000:.1f} ms | {r['xlsx_first_s'] * 1000:.0f} / {r['xlsx_repeat_s'] * 1000:.0f} / "
            f"{r['xlsx_304_s'] * 1000:.1f} ms | {r['job_kb']:.1f} KB | {r['rss_mb']:.0f} MB | {phone} |"
        )


if __name__ == "__main__":
    main()
