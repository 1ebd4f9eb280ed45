"""The client against a real HTTP server that misbehaves: every outcome named for what happened.

`responses` stands in for upstream only in parsing tests; here every fault
crosses a real socket, so urllib3's retries, requests' exception wrapping and
the kernel's resets behave as they do in production.
"""

from __future__ import annotations

import time

import pytest

from odata.client import BuzClient, parse_retry_after
from odata.errors import (
    UpstreamAuthError,
    UpstreamBadResponse,
    UpstreamConnectionError,
    UpstreamHTTPError,
    UpstreamRateLimited,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from tests.fault_server import FaultServer, SilentListener, refused_url


@pytest.fixture
def upstream():
    server = FaultServer()
    yield server
    server.stop()


def client_for(url: str, **kwargs) -> BuzClient:
    kwargs.setdefault("connect_timeout", 1)
    kwargs.setdefault("read_timeout", 1)
    return BuzClient("DD", url, username="dd-user", password="dd-pass", **kwargs)


@pytest.mark.parametrize(
    ("fault", "error", "kind", "retry_after"),
    [
        ("503-retry-after", UpstreamUnavailable, "unavailable", 120),
        ("503", UpstreamUnavailable, "unavailable", None),
        ("429-retry-after", UpstreamRateLimited, "rate_limited", 120),
        ("429", UpstreamRateLimited, "rate_limited", None),
        ("500", UpstreamHTTPError, "http_error", None),
        ("401", UpstreamAuthError, "auth", None),
        ("403", UpstreamAuthError, "auth", None),
        ("redirect-login", UpstreamBadResponse, "bad_response", None),
        ("html-200", UpstreamBadResponse, "bad_response", None),
        ("invalid-json", UpstreamBadResponse, "bad_response", None),
        ("truncated-json", UpstreamBadResponse, "bad_response", None),
        ("reset-mid-body", UpstreamConnectionError, "connection", None),
        ("reset", UpstreamConnectionError, "connection", None),
        ("slow", UpstreamTimeout, "timeout", None),
        ("slow-body", UpstreamTimeout, "timeout", None),
    ],
)
def test_each_upstream_fault_is_classified_by_what_happened(upstream, fault, error, kind, retry_after):
    upstream.fault = fault
    with pytest.raises(error) as caught:
        client_for(upstream.url).open_order_lines("Northside Window Co")
    assert type(caught.value) is error
    assert caught.value.kind == kind
    assert caught.value.retry_after == retry_after
    # Only a refused connection is worth repeating; an answer (even a bad one) is never asked twice.
    assert upstream.hits == 1
    assert "dd-pass" not in str(caught.value) and "Northside" not in str(caught.value)


def test_a_503_with_retry_after_is_an_unavailable_answer_not_a_connection_failure(upstream):
    """The defect: urllib3 honoured Retry-After itself and raised RetryError ("could not connect")."""
    upstream.fault = "503-retry-after"
    with pytest.raises(UpstreamUnavailable) as caught:
        client_for(upstream.url).open_order_lines("X")
    assert caught.value.status_code == 503
    assert "could not connect" not in caught.value.detail


def test_a_read_timeout_is_a_timeout_with_the_504_page(upstream):
    upstream.fault, upstream.delay = "slow", 2.5
    started = time.monotonic()
    with pytest.raises(UpstreamTimeout) as caught:
        client_for(upstream.url, read_timeout=0.5).open_order_lines("X")
    assert time.monotonic() - started < 2  # gave up at the read timeout, no retry
    assert caught.value.http_status == 504
    assert "could not connect" not in caught.value.detail


def test_a_refused_connection_is_retried_then_reported_as_such():
    started = time.monotonic()
    with pytest.raises(UpstreamConnectionError) as caught:
        client_for(refused_url()).open_order_lines("X")
    assert "ConnectionRefusedError" in caught.value.detail
    assert "127.0.0.1" not in str(caught.value)  # no upstream address in the message
    assert time.monotonic() - started < 3


def test_a_connect_timeout_is_a_connection_failure_not_a_slow_server():
    listener = SilentListener()
    try:
        with pytest.raises(UpstreamConnectionError) as caught:
            client_for(listener.url, connect_timeout=0.3, connect_retries=0).open_order_lines("X")
    finally:
        listener.close()
    assert "no connection within 0.3s" in caught.value.detail


def test_a_good_answer_after_faults_is_read(upstream):
    upstream.fault = "ok"
    rows = client_for(upstream.url).open_order_lines("X")
    assert rows == [{"RefNo": "512877", "ProductionStatus": "In Production", "DateScheduled": "2026-12-08"}]


@pytest.mark.parametrize(
    ("header", "seconds"),
    [("120", 120), (" 7 ", 7), ("", None), (None, None), ("soon", None), ("-5", None)],
)
def test_retry_after_in_seconds(header, seconds):
    assert parse_retry_after(header) == seconds


def test_retry_after_as_an_http_date():
    from email.utils import formatdate

    header = formatdate(time.time() + 600, usegmt=True)
    assert 590 <= parse_retry_after(header) <= 600
    assert parse_retry_after(formatdate(time.time() - 600, usegmt=True)) == 0
