"""/sync/ is what tools and the printout read: a 200 always carries the complete report. Twenty concurrent
cold requests through gunicorn (several workers and threads) and a real qcluster against the simulator."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from customers.models import Customer
from tests.conftest import Process, app_env, start_gunicorn

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def slowish_simulator(simulator_config):
    simulator_config.latency = 1.0
    return simulator_config


def expected_orders(simulator, name: str) -> set[str]:
    """The customer's open order numbers: the simulator's rows through the report's rules."""
    from django.conf import settings

    from lib.clock import business_tz
    from odata.client import get_client
    from orders.rules import build_orders

    rows = [
        {**row, "Instance": account} for account in ("DD", "CBR") for row in get_client(account).open_order_lines(name)
    ]
    orders = build_orders(rows, status_names={}, finished_statuses=settings.BUZ_FINISHED_STATUSES, tz=business_tz())
    return {order.ref_no for order in orders}


def test_twenty_concurrent_cold_sync_requests_get_the_whole_report_or_a_503_to_retry(
    slowish_simulator, simulator, tmp_path, settings
):
    import sys

    customers = [
        Customer.objects.create(display_name=name, dd_name=name, cbr_name=name)
        for name in ("Sunset Shade Solutions", "Northside Window Co")
    ]
    env = app_env(
        simulator,
        tmp_path,
        WEB_CONCURRENCY="2",
        GUNICORN_THREADS="4",
        BUZ_WEB_WAIT_SECONDS="6",
        RATELIMIT_PUBLIC="100000/m",
        Q_WORKERS="2",
    )
    worker = Process([sys.executable, "manage.py", "qcluster"], env, tmp_path / "worker.log")
    web, base = start_gunicorn(env, tmp_path / "web.log")
    try:
        paths = [f"/sync/{customers[n % 2].obfuscated_id}" for n in range(20)]
        with ThreadPoolExecutor(max_workers=20) as pool:
            answers = list(pool.map(lambda path: (path, requests.get(f"{base}{path}", timeout=60)), paths))
    finally:
        web.stop()
        worker.stop()
    wanted = {f"/sync/{c.obfuscated_id}": expected_orders(simulator, c.dd_name) for c in customers}
    statuses = [response.status_code for _, response in answers]
    assert set(statuses) <= {200, 503}, statuses
    assert statuses.count(200) >= 2, statuses
    for path, response in answers:
        if response.status_code == 200:
            shown = set(re.findall(r'class="order-no">Order ([^<]+)<', response.text))
            assert shown == wanted[path], path  # every order, on one page
            assert "data-job-id" not in response.text  # never the loading page
        else:
            assert int(response.headers["Retry-After"]) > 0
            assert "still being prepared" in response.text
