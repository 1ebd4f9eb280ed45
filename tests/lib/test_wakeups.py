"""Waking a waiter at once, on the database the suite runs on (SQLite sockets, or PostgreSQL NOTIFY)."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connections

from lib.wakeups import listener, listening, wake

pytestmark = pytest.mark.django_db(transaction=True)


def wake_later(channel: str, seconds: float) -> threading.Thread:
    def run() -> None:
        time.sleep(seconds)
        try:
            wake(channel)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_a_waiter_is_woken_as_soon_as_its_channel_is_woken():
    with listening("job-done:1") as waiter:
        thread = wake_later("job-done:1", 0.2)
        started = time.monotonic()
        assert waiter.wait(5) is True
        assert time.monotonic() - started < 1.5  # not its own 5 s timeout
        thread.join()


def test_a_wake_up_on_another_channel_or_none_lets_the_wait_run_out():
    with listening("job-done:2") as waiter:
        wake_later("job-done:3", 0.05).join()
        assert waiter.wait(0.3) is False


def test_a_wake_up_sent_between_listening_and_waiting_is_kept():
    with listening("job-done:4") as waiter:
        wake("job-done:4")
        assert waiter.wait(2) is True


def test_a_long_lived_listener_has_its_own_connection():
    waiter = listener("queued", dedicated=True)
    try:
        thread = wake_later("queued", 0.1)
        assert waiter.wait(5) is True
        thread.join()
    finally:
        waiter.close()


def test_waking_never_blocks_on_a_listener_that_does_not_read():
    with listening("busy"):
        started = time.monotonic()
        for _ in range(200):  # far more than a socket's queue holds
            wake("busy")
        assert time.monotonic() - started < 2
