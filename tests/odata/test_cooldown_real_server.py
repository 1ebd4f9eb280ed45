"""The cooldown against a real HTTP server: what BuzManager says (503, 429, Retry-After, a hang)
decides how long it is left alone, and nothing else calls it meanwhile."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from odata.models import UpstreamCache
from odata.services import Source, cache_fetch, cache_peek
from odata.targets import FetchTarget
from tests.fault_server import FaultServer

TARGET = FetchTarget("DD", "Northside Window Co", False)


@pytest.fixture
def upstream(settings, db):
    server = FaultServer()
    settings.BUZ_ACCOUNTS = {"DD": {"url": server.url, "username": "u", "password": "p"}}
    settings.BUZ_CONNECT_TIMEOUT = 1
    settings.BUZ_READ_TIMEOUT = 0.5
    settings.BUZ_FRESH_MINUTES = 0
    settings.BUZ_COOLDOWN_MINUTES = 1
    settings.BUZ_COOLDOWN_MAX_MINUTES = 60
    settings.BUZ_FAILURE_BACKOFF_SECONDS = 30
    yield server
    server.stop()


def cooldown_seconds() -> float:
    entry = UpstreamCache.objects.get()
    return (entry.cooldown_until - entry.last_attempt_at).total_seconds()


@pytest.mark.parametrize("fault", ["503-retry-after", "429-retry-after"])
def test_a_retry_after_longer_than_the_cooldown_is_honoured_and_upstream_called_once(upstream, fault):
    upstream.fault, upstream.retry_after = fault, 120  # longer than BUZ_COOLDOWN_MINUTES=1
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        first = cache_fetch(TARGET)
        assert first.source == Source.NONE and first.error.http_status == 503
        assert cooldown_seconds() == 120
        for _ in range(5):
            result = cache_fetch(TARGET)
            assert result.reason == "cooldown" and result.error.http_status == 503
        traveller.shift(timedelta(seconds=119))
        cache_fetch(TARGET)
        assert upstream.hits == 1  # left alone for the whole Retry-After
        upstream.fault = "ok"
        traveller.shift(timedelta(seconds=2))
        assert cache_fetch(TARGET).source == Source.LIVE
    assert upstream.hits == 2


def test_a_short_retry_after_still_cools_down_for_the_configured_minutes(upstream):
    upstream.fault, upstream.retry_after = "503-retry-after", 5
    cache_fetch(TARGET)
    assert cooldown_seconds() == 60


def test_an_absurd_retry_after_is_capped(upstream):
    upstream.fault, upstream.retry_after = "503-retry-after", 10 * 24 * 3600
    cache_fetch(TARGET)
    assert cooldown_seconds() == 60 * 60


@pytest.mark.parametrize(("fault", "status"), [("slow", 504), ("500", 502), ("html-200", 502), ("reset", 502)])
def test_any_other_failure_backs_the_account_off_briefly(upstream, fault, status):
    upstream.fault, upstream.delay = fault, 2
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        assert cache_fetch(TARGET).error.http_status == status
        peeked = cache_peek(TARGET)
        assert not peeked.needs_live and peeked.error.http_status == status  # the page's status fits what happened
        assert peeked.retry_at is not None
        cache_fetch(TARGET)
        assert upstream.hits == 1
        traveller.shift(timedelta(seconds=31))
        assert cache_peek(TARGET).needs_live


def test_during_the_cooldown_cached_data_is_served_with_when_it_will_be_retried(upstream):
    upstream.fault = "ok"
    cache_fetch(TARGET)
    upstream.fault = "503-retry-after"
    failed = cache_fetch(TARGET)
    assert failed.source == Source.CACHED and failed.rows
    assert failed.retry_at == UpstreamCache.objects.get().cooldown_until
    again = cache_fetch(TARGET)
    assert again.source == Source.CACHED and again.reason == "cooldown" and again.retry_at == failed.retry_at
    assert upstream.hits == 2
