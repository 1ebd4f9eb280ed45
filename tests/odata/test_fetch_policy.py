"""Each row of the fetch policy (issue: blackout-proof data), with responses and time travel."""

from __future__ import annotations

import json
import logging
import threading
import time
from datetime import datetime, timedelta
from datetime import time as clock
from zoneinfo import ZoneInfo

import pytest
import requests
import responses
import time_machine

from odata.models import FetchLease, UpstreamCache
from odata.services import Source, cache_fetch, fetch_targets, in_blackout
from odata.targets import FetchTarget, cache_key
from tests.conftest import CBR_JOBS, DD_JOBS, SYDNEY

TARGET = FetchTarget("DD", "Northside Window Co", False)
ROW = {"RefNo": "1", "FixedLine": 1, "ProductionStatus": "Cutting", "Customer": "Northside Window Co"}


def sydney(*args) -> datetime:
    return datetime(*args, tzinfo=SYDNEY)


@pytest.fixture(autouse=True)
def policy(settings):
    settings.BUZ_FRESH_MINUTES = 5
    settings.BUZ_COOLDOWN_MINUTES = 10
    settings.BUZ_BLACKOUT = (clock(10), clock(16))
    settings.BUZ_TIMEZONE = "Australia/Sydney"


def cache(fetched_at: datetime, rows=None, target: FetchTarget = TARGET, **extra) -> UpstreamCache:
    rows = [ROW] if rows is None else rows
    return UpstreamCache.objects.create(
        key=cache_key(target),
        instance=target.instance,
        target_name=target.name,
        rows=rows,
        row_count=len(rows),
        fetched_at=fetched_at,
        last_attempt_at=fetched_at,
        **extra,
    )


def upstream_ok(url: str = DD_JOBS, rows=None) -> None:
    responses.get(url, json={"value": [dict(ROW, CostPrice=12.5)] if rows is None else rows})


# --- fresh data -----------------------------------------------------------------


@responses.activate
def test_data_younger_than_fresh_minutes_is_served_without_a_call(db):
    with time_machine.travel(sydney(2026, 11, 23, 8, 0), tick=False):
        cache(fetched_at=sydney(2026, 11, 23, 7, 56))
        result = cache_fetch(TARGET)
    assert result.source == Source.FRESH and result.rows[0]["RefNo"] == "1"
    assert len(responses.calls) == 0


@responses.activate
def test_stale_data_outside_the_blackout_is_refetched(db):
    with time_machine.travel(sydney(2026, 11, 23, 8, 0), tick=False):
        cache(fetched_at=sydney(2026, 11, 23, 7, 54))
        upstream_ok()
        result = cache_fetch(TARGET)
    assert result.source == Source.LIVE and len(responses.calls) == 1
    entry = UpstreamCache.objects.get()
    assert entry.fetched_at == sydney(2026, 11, 23, 8, 0)
    assert entry.rows == [ROW]  # only the fields the product uses are kept; CostPrice is not


@responses.activate
def test_fresh_minutes_zero_always_tries_live_first(db, settings):
    settings.BUZ_FRESH_MINUTES = 0
    with time_machine.travel(sydney(2026, 11, 23, 8, 0), tick=False):
        cache(fetched_at=sydney(2026, 11, 23, 7, 59, 59))
        upstream_ok()
        assert cache_fetch(TARGET).source == Source.LIVE
    assert len(responses.calls) == 1


# --- blackout window --------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "inside"),
    [
        (sydney(2026, 11, 23, 9, 59, 59), False),
        (sydney(2026, 11, 23, 10, 0, 0), True),
        (sydney(2026, 11, 23, 15, 59, 59), True),
        (sydney(2026, 11, 23, 16, 0, 0), False),
        # Daylight saving starts on 4 Oct 2026 and ends on 5 Apr 2026 in Sydney:
        # the window follows the wall clock, not UTC.
        (sydney(2026, 10, 4, 10, 0, 0), True),
        (sydney(2026, 10, 4, 9, 59, 59), False),
        (sydney(2026, 4, 5, 15, 59, 59), True),
        (sydney(2026, 4, 5, 16, 0, 0), False),
    ],
)
def test_blackout_window_edges_in_business_time(moment, inside):
    assert in_blackout(moment.astimezone(ZoneInfo("UTC"))) is inside


@responses.activate
@pytest.mark.parametrize(
    ("moment", "calls"),
    [
        (sydney(2026, 11, 23, 9, 59, 59), 1),
        (sydney(2026, 11, 23, 10, 0, 0), 0),
        (sydney(2026, 11, 23, 15, 59, 59), 0),
        (sydney(2026, 11, 23, 16, 0, 0), 1),
    ],
)
def test_in_the_blackout_cached_data_is_served_without_a_call(db, moment, calls):
    with time_machine.travel(moment, tick=False):
        cache(fetched_at=sydney(2026, 11, 23, 9, 30) - timedelta(hours=1))
        upstream_ok()
        result = cache_fetch(TARGET)
    assert len(responses.calls) == calls
    assert result.source == (Source.CACHED if calls == 0 else Source.LIVE)
    if calls == 0:
        assert result.reason == "blackout"


@responses.activate
def test_in_the_blackout_without_cache_one_attempt_is_made_then_a_message(db):
    responses.get(DD_JOBS, status=503)
    with time_machine.travel(sydney(2026, 11, 23, 11, 0), tick=False):
        first = cache_fetch(TARGET)
        second = cache_fetch(TARGET)  # cooling down now: no second attempt
    assert first.source == Source.NONE and first.error.kind == "unavailable"
    assert second.source == Source.NONE
    assert len(responses.calls) == 1


# --- cooldown after a 503 -----------------------------------------------------------


@responses.activate
def test_after_a_503_the_account_is_left_alone_until_the_cooldown_ends(db):
    responses.get(DD_JOBS, status=503)
    with time_machine.travel(sydney(2026, 11, 23, 8, 0), tick=False) as traveller:
        cache(fetched_at=sydney(2026, 11, 23, 7, 0))
        assert cache_fetch(TARGET).source == Source.CACHED  # the 503 itself
        traveller.move_to(sydney(2026, 11, 23, 8, 9, 59))
        during = cache_fetch(TARGET)
        assert during.source == Source.CACHED and during.reason == "cooldown"
        assert len(responses.calls) == 1
        traveller.move_to(sydney(2026, 11, 23, 8, 10))
        responses.replace(responses.GET, DD_JOBS, json={"value": [ROW]})
        assert cache_fetch(TARGET).source == Source.LIVE
    assert len(responses.calls) == 2


@responses.activate
def test_cooldown_is_per_account_and_covers_other_customers(db):
    other = FetchTarget("DD", "Someone Else", False)
    responses.get(DD_JOBS, status=503)
    responses.get(CBR_JOBS, json={"value": [ROW]})
    with time_machine.travel(sydney(2026, 11, 23, 8, 0), tick=False):
        cache_fetch(TARGET)
        assert cache_fetch(other).source == Source.NONE  # same account: no call
        assert cache_fetch(FetchTarget("CBR", "Someone Else", False)).source == Source.LIVE
    assert [c.request.url.split("?")[0] for c in responses.calls] == [DD_JOBS, CBR_JOBS]


@responses.activate
def test_a_success_after_the_cooldown_clears_every_mark_of_it(db):
    other = FetchTarget("DD", "Other", False)
    with time_machine.travel(sydney(2026, 11, 23, 8, 0), tick=False) as traveller:
        cache(
            fetched_at=sydney(2026, 11, 23, 7, 0), cooldown_until=sydney(2026, 11, 23, 8, 5), last_error_kind="timeout"
        )
        cache(fetched_at=sydney(2026, 11, 23, 7, 0), cooldown_until=sydney(2026, 11, 23, 8, 6), target=other)
        assert cache_fetch(TARGET).reason == "cooldown"  # the other customer's mark covers the account
        traveller.move_to(sydney(2026, 11, 23, 8, 6))
        upstream_ok()
        assert cache_fetch(TARGET).source == Source.LIVE
    assert len(responses.calls) == 1
    assert not UpstreamCache.objects.filter(cooldown_until__isnull=False).exists()


# --- upstream failures ----------------------------------------------------------------


@responses.activate
@pytest.mark.parametrize(
    ("upstream", "kind"),
    [
        ({"status": 503}, "unavailable"),
        ({"status": 500}, "http_error"),
        ({"body": requests.exceptions.ReadTimeout()}, "timeout"),
        ({"body": requests.exceptions.ConnectionError()}, "connection"),
        ({"body": "<html>Sign in</html>", "status": 200}, "bad_response"),
        ({"body": '{"value": [{"RefNo": "1"', "status": 200}, "bad_response"),
        ({"json": {"rows": []}}, "bad_response"),
    ],
)
def test_failures_serve_the_cached_copy_and_keep_its_fetch_time(db, upstream, kind):
    responses.get(DD_JOBS, **upstream)
    fetched = sydney(2026, 11, 23, 7, 0)
    with time_machine.travel(sydney(2026, 11, 23, 8, 0), tick=False):
        cache(fetched_at=fetched)
        result = cache_fetch(TARGET)
    assert result.source == Source.CACHED
    assert result.fetched_at == fetched and result.rows[0]["RefNo"] == "1"
    assert result.error.kind == kind
    entry = UpstreamCache.objects.get()
    assert entry.fetched_at == fetched  # a failure never rewrites the data's time
    assert entry.last_error_kind == kind
    assert (entry.last_503_at is not None) is (kind == "unavailable")


@responses.activate
def test_failure_without_cache_returns_the_error(db):
    responses.get(DD_JOBS, body=requests.exceptions.ReadTimeout())
    result = cache_fetch(TARGET)
    assert result.source == Source.NONE and result.error.kind == "timeout"


@responses.activate
def test_each_incident_is_reported_once_as_an_error(db, caplog, settings):
    settings.BUZ_COOLDOWN_MINUTES = 0
    settings.BUZ_FAILURE_BACKOFF_SECONDS = 0  # every call reaches upstream, to count the incidents
    settings.BUZ_FRESH_MINUTES = 0
    responses.get(DD_JOBS, status=500)
    with (
        time_machine.travel(sydney(2026, 11, 23, 8, 0), tick=True),
        caplog.at_level(logging.WARNING, logger="odata.services"),
    ):
        for _ in range(3):
            cache_fetch(TARGET)
        cache_fetch(FetchTarget("DD", "Other", False))  # same account, same incident
        responses.replace(responses.GET, DD_JOBS, json={"value": []})
        cache_fetch(TARGET)
        cache_fetch(FetchTarget("DD", "Other", False))  # recovered: the incident is over
        responses.replace(responses.GET, DD_JOBS, status=500)
        cache_fetch(TARGET)  # a new incident
    levels = [r.levelname for r in caplog.records if r.name == "odata.services"]
    assert levels == ["ERROR", "WARNING", "WARNING", "WARNING", "ERROR"]


# --- single-flight ------------------------------------------------------------------------


def _slow_upstream(status=200, delay=0.4):
    calls = []

    def answer(request):
        calls.append(threading.get_ident())
        time.sleep(delay)
        return (status, {}, '{"value": [{"RefNo": "1", "FixedLine": 1}]}')

    return calls, answer


def _run_concurrently(count: int, fn):
    from django.db import connections

    barrier = threading.Barrier(count)
    results = [None] * count

    def run(i):
        try:
            barrier.wait()
            results[i] = fn()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return results


@responses.activate
@pytest.mark.django_db(transaction=True)
def test_concurrent_callers_share_one_upstream_call():
    calls, answer = _slow_upstream()
    responses.add_callback(responses.GET, DD_JOBS, callback=answer)
    results = _run_concurrently(12, lambda: cache_fetch(TARGET))
    assert len(calls) == 1
    assert all(r is not None and r.source == Source.LIVE and r.rows[0]["RefNo"] == "1" for r in results)
    assert not FetchLease.objects.exists()  # the lease is released


@responses.activate
@pytest.mark.django_db(transaction=True)
def test_concurrent_callers_share_one_failure_too(settings):
    settings.BUZ_COOLDOWN_MINUTES = 0
    calls, answer = _slow_upstream(status=500)
    responses.add_callback(responses.GET, DD_JOBS, callback=answer)
    results = _run_concurrently(8, lambda: cache_fetch(TARGET))
    assert len(calls) == 1
    assert {r.source for r in results} == {Source.NONE}
    assert {r.error.kind for r in results} == {"http_error"}


@responses.activate
@pytest.mark.django_db(transaction=True)
def test_a_lease_left_by_a_dead_process_expires_and_is_taken_over():
    from django.utils import timezone

    FetchLease.objects.create(key=cache_key(TARGET), owner="dead", expires_at=timezone.now() - timedelta(seconds=1))
    upstream_ok()
    assert cache_fetch(TARGET).source == Source.LIVE
    assert not FetchLease.objects.exists()


# --- both accounts in parallel --------------------------------------------------------------


@responses.activate
@pytest.mark.django_db(transaction=True)
def test_two_accounts_are_fetched_at_the_same_time():
    # Each answer waits until both requests are in flight: sequential fetching breaks the barrier.
    both_in_flight = threading.Barrier(2, timeout=10)
    calls = []

    def answer(request):
        calls.append(threading.get_ident())
        both_in_flight.wait()
        return (200, {}, '{"value": [{"RefNo": "1", "FixedLine": 1}]}')

    responses.add_callback(responses.GET, DD_JOBS, callback=answer)
    responses.add_callback(responses.GET, CBR_JOBS, callback=answer)
    results = fetch_targets([TARGET, FetchTarget("CBR", "Northside", False)])
    assert [r.source for r in results] == [Source.LIVE, Source.LIVE]
    assert len(set(calls)) == 2  # two different threads
    assert not both_in_flight.broken


@responses.activate
@pytest.mark.django_db(transaction=True)
def test_the_lease_is_renewed_before_a_page_it_may_not_cover_so_a_dead_holder_frees_the_key_quickly(settings):
    from django.utils import timezone

    # A lease covers one request and a margin; a page is asked for once less than a request is left.
    settings.BUZ_FETCH_BUDGET_SECONDS, settings.FETCH_LEASE_SECONDS = 0.1, 0.2
    expiries = []

    def page(request):
        expiries.append(FetchLease.objects.get(key=cache_key(TARGET)).expires_at)
        time.sleep(0.15)
        nxt = {"@odata.nextLink": f"{DD_JOBS}?$skip=1"} if "skip" not in request.url else {}
        return (200, {}, json.dumps({"value": [ROW], **nxt}))

    responses.add_callback(responses.GET, DD_JOBS, callback=page)
    started = timezone.now()
    assert cache_fetch(TARGET).source == Source.LIVE
    assert len(expiries) == 2 and expiries[1] > expiries[0]  # renewed before the second page
    assert expiries[0] - started <= timedelta(seconds=1)  # one request's worth and its margin, not a whole fetch
