"""Limits that hold across processes: gunicorn with 4 workers, one client address.

Rates are per hour here so that a burst never straddles two windows (django-ratelimit
aligns windows to the clock); what is proved is that the count is shared, not per worker.
"""

from __future__ import annotations

import re

import pytest
import requests

from buzeta.api.keys import api_key_create
from customers.models import Customer
from customers.services import customer_regenerate_link
from tests.conftest import TEST_ACTOR, app_env, cache_rows, order_line, start_gunicorn

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
LIMIT = 12
TOLERANCE = 1  # a request in flight while the window's first count is written


@pytest.fixture(autouse=True)
def _fresh(fresh_counters):
    pass


@pytest.fixture
def server(simulator, tmp_path):
    env = app_env(
        simulator,
        tmp_path,
        WEB_CONCURRENCY="4",
        RATELIMIT_PUBLIC=f"{LIMIT}/h",
        RATELIMIT_API=f"{LIMIT}/h",
        RATELIMIT_API_BAD_KEYS="5/h",
        RATELIMIT_LOGIN="5/h",
        REPORT_PAGE_CACHE_SECONDS="60",
    )
    web, base = start_gunicorn(env, tmp_path / "web.log")
    yield base
    web.stop()


@pytest.fixture
def cached_customer(db):
    customer = Customer.objects.create(display_name="Sunset", dd_name="Sunset Shade Solutions")
    cache_rows(customer, [order_line(RefNo="1", ProductionStatus="Cutting")])
    return customer


def statuses(responses: list[requests.Response]) -> dict[int, int]:
    found: dict[int, int] = {}
    for response in responses:
        found[response.status_code] = found.get(response.status_code, 0) + 1
    return found


def test_report_pages_are_limited_per_address_across_all_workers(server, cached_customer):
    answers = [requests.get(f"{server}/{cached_customer.obfuscated_id}", timeout=10) for _ in range(4 * LIMIT)]
    counts = statuses(answers)
    assert LIMIT - TOLERANCE <= counts.get(200, 0) <= LIMIT + TOLERANCE, counts
    assert counts.get(429, 0) >= 3 * LIMIT - TOLERANCE, counts


def test_api_keys_are_limited_across_workers_and_wrong_keys_are_throttled(server, cached_customer):
    _, secret = api_key_create(name="integration", actor=TEST_ACTOR, scope="manage")
    good = [requests.get(f"{server}/api/v1/customers", headers={"X-API-Key": secret}, timeout=10) for _ in range(40)]
    counts = statuses(good)
    assert LIMIT - TOLERANCE <= counts.get(200, 0) <= LIMIT + TOLERANCE, counts

    wrong = [
        requests.get(f"{server}/api/v1/customers", headers={"X-API-Key": f"bz_guess{n}_xxxx"}, timeout=10)
        for n in range(20)
    ]
    counts = statuses(wrong)
    assert counts.get(401, 0) <= 5 + TOLERANCE and counts.get(429, 0) >= 20 - 5 - TOLERANCE, counts
    assert all(r.headers["Content-Type"].startswith("application/json") for r in wrong)


def test_password_sign_in_attempts_are_limited_across_workers(server, django_user_model):
    django_user_model.objects.create_superuser("root", "root@example.com", "correct horse battery staple")
    session = requests.Session()
    session.headers["Connection"] = "close"  # a new connection each time, so the workers share the attempts
    answers = []
    for attempt in range(20):
        form = session.get(f"{server}/accounts/login/", timeout=10).text
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
        answers.append(
            session.post(
                f"{server}/accounts/login/",
                data={"csrfmiddlewaretoken": token, "login": "root", "password": f"guess {attempt}"},
                headers={"Referer": f"{server}/accounts/login/", "Origin": server},
                timeout=10,
            )
        )
    counts = statuses(answers)
    assert counts.get(200, 0) <= 5 + TOLERANCE, counts  # 200 = the form again, with "wrong password"
    assert counts.get(429, 0) >= 20 - 5 - TOLERANCE, counts


def test_a_regenerated_link_is_dead_in_every_worker_at_once(server, cached_customer):
    old = cached_customer.obfuscated_id
    for _ in range(5):  # kept pages in as many workers as the kernel hands these to
        assert requests.get(f"{server}/{old}", timeout=10).status_code == 200
    new = customer_regenerate_link(customer=cached_customer, actor=TEST_ACTOR)
    assert {requests.get(f"{server}/{old}", timeout=10).status_code for _ in range(5)} == {404}
    assert requests.get(f"{server}/{new}", timeout=10).status_code == 200


def test_limits_hold_while_hundreds_of_other_addresses_and_keys_send_traffic(server, cached_customer):
    """The counters are never evicted to make room: 500 other addresses (through the trusted proxy's
    X-Real-IP) and 20 other keys each leave counters behind while one address hammers one page."""
    from concurrent.futures import ThreadPoolExecutor

    keys = [api_key_create(name=f"other-{n}", actor=TEST_ACTOR)[1] for n in range(20)]
    page = f"{server}/{cached_customer.obfuscated_id}"

    def other_traffic(n: int) -> None:
        address = {"X-Real-IP": f"10.{n // 250}.{n % 250}.7"}
        with requests.Session() as session:
            session.get(page, headers=address, timeout=30)
            session.get(f"{server}/api/v1/customers", headers={**address, "X-API-Key": f"bze_x{n}_guess"}, timeout=30)
            if n < len(keys):
                session.get(f"{server}/api/v1/statuses", headers={"X-API-Key": keys[n]}, timeout=30)

    mine = []
    with ThreadPoolExecutor(max_workers=6) as pool:
        others = [pool.submit(other_traffic, n) for n in range(500)]
        with requests.Session() as session:
            for n in range(4 * LIMIT):
                mine.append(session.get(page, headers={"X-Real-IP": "192.0.2.1"}, timeout=30))
                while sum(f.done() for f in others) < (n + 1) * 500 // (4 * LIMIT):
                    import time

                    time.sleep(0.02)  # let the others' counters pile up between my requests
        for future in others:
            future.result()
    counts = statuses(mine)
    assert LIMIT - TOLERANCE <= counts.get(200, 0) <= LIMIT + TOLERANCE, counts
