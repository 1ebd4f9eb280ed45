"""The shared cache's counter under real threads: no lost increments (rate limits count with it)."""

from __future__ import annotations

import threading

import pytest
from django.core.cache import cache
from django.db import connections

pytestmark = pytest.mark.django_db(transaction=True)


def test_concurrent_increments_are_never_lost():
    cache.clear()
    cache.add("hits", 0, 60)
    start = threading.Barrier(6)

    def hammer():
        try:
            start.wait()
            for _ in range(40):
                cache.incr("hits")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=hammer) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert cache.get("hits") == 240
    cache.clear()


def test_incrementing_a_missing_or_expired_key_fails_like_every_cache():
    import time_machine
    from django.utils import timezone

    cache.clear()
    with pytest.raises(ValueError):
        cache.incr("absent")
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        cache.set("short", 1, 5)
        assert cache.incr("short", 2) == 3
        assert cache.decr("short") == 2
        traveller.shift(10)
        with pytest.raises(ValueError):
            cache.incr("short")
