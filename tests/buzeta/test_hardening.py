"""Rate limits, security headers, production checks and Sentry scrubbing."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys

import pytest

from buzeta.sentry import scrub_event
from tests.conftest import ROOT, counters_clear


@pytest.fixture
def limits(settings):
    settings.RATELIMIT_ENABLE = True
    settings.RATELIMIT_PUBLIC = "3/m"
    settings.RATELIMIT_POLLING = "5/m"
    settings.RATELIMIT_LOGIN = "2/m"
    counters_clear()
    yield
    counters_clear()


def test_public_pages_answer_429_with_a_page_when_over_the_limit(client, db, limits):
    statuses = [client.get("/nobody-at-all-here").status_code for _ in range(5)]
    assert statuses == [404, 404, 404, 429, 429]
    response = client.get("/nobody-at-all-here")
    assert "Too many requests" in response.content.decode() and response["Retry-After"] == "60"


def test_report_and_download_routes_share_one_budget(client, db, limits):
    client.get("/nobody-at-all-here")
    client.get("/etas/nobody-at-all-here")
    client.get("/nobody-at-all-here/download.csv")
    assert client.get("/sync/nobody-at-all-here").status_code == 429


def test_job_polling_has_its_own_higher_limit_and_answers_json(client, db, limits):
    for _ in range(3):
        client.get("/nobody-at-all-here")  # the public budget is spent…
    statuses = [client.get("/jobs/00000000-0000-0000-0000-000000000000").status_code for _ in range(6)]
    assert statuses == [404] * 5 + [429]  # …polling still has its own
    assert client.get("/jobs/x").json() == {"error": "Too many requests; slow down.", "code": "RATE_LIMITED"}


def test_password_sign_in_is_rate_limited(client, db, limits):
    statuses = [client.post("/accounts/login/", {"login": "x", "password": "y"}).status_code for _ in range(3)]
    assert statuses[-1] == 429


def test_pages_carry_a_content_security_policy_and_frame_denial(client, db):
    response = client.get("/")
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
    assert "unsafe-inline" not in policy
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"


def test_no_debug_or_error_trigger_routes(client, db):
    for path in ("/debug/", "/__debug__/", "/sentry-debug/", "/error/", "/trigger-error"):
        assert client.get(path).status_code == 404


def deploy_check(tmp_path, **extra: str) -> subprocess.CompletedProcess:
    """`manage.py check --deploy` with production settings and nothing else from this environment, plus `extra`."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("BUZ_", "DJANGO_", "DATABASE_URL", "EMAIL_"))},
        "APP_ENV": "production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "eta.example.com",
        "BUZETA_DATA_DIR": str(tmp_path),
        **extra,
    }
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_in_production(tmp_path):
    result = deploy_check(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_sentry_events_lose_cookies_credentials_emails_names_queries_and_link_ids(make_customer):
    customer = make_customer(display_name="Northside Window Co", dd_name="Northside Window Co")
    legacy = make_customer(display_name="Old Client Pty", dd_name="Old Client Pty", obfuscated_id="Xy9_q")
    event = {
        "request": {
            "url": f"https://eta.example.com/{customer.obfuscated_id}/download.csv?status=Sewing",
            "query_string": "status=Sewing",
            "cookies": {"sessionid": "abc"},
            "data": {"password": "hunter2"},
            "headers": {"Cookie": "sessionid=abc", "Authorization": "Basic eDp5", "X-Api-Key": "k", "Accept": "*/*"},
        },
        "user": {"email": "bob@example.com", "id": 3},
        "transaction": f"/etas/{customer.obfuscated_id}",
        "logentry": {"message": "failed for %s", "params": ["Northside Window Co"]},
        "exception": {
            "values": [{"value": f"mail bob@example.com about Northside Window Co, link {legacy.obfuscated_id}"}]
        },
        "breadcrumbs": {"values": [{"message": "GET", "data": {"url": f"/{customer.obfuscated_id}?x=1"}}]},
    }
    scrubbed = scrub_event(event)
    text = repr(scrubbed)
    secrets = (
        "sessionid",
        "hunter2",
        "eDp5",
        "bob@example.com",
        "Northside",
        customer.obfuscated_id,
        "Sewing",
        "Xy9_q",
    )
    for secret in secrets:
        assert secret not in text, secret
    assert scrubbed["request"]["url"] == "https://eta.example.com/[id]/download.csv"
    assert scrubbed["request"]["headers"]["Accept"] == "*/*"
    assert "user" not in scrubbed


def test_database_trouble_is_a_clear_503_not_a_500(client, db, monkeypatch, caplog):
    from django.db import OperationalError

    import reports.views

    def full(*args, **kwargs):
        raise OperationalError("database or disk is full")

    monkeypatch.setattr(reports.views, "_customer_or_404", full)
    response = client.get("/some-customer-link-id")
    assert response.status_code == 503 and response["Retry-After"] == "30"
    assert "briefly unavailable" in response.content.decode()
    assert "disk is full" not in response.content.decode()
    assert "database unavailable: database or disk is full" in caplog.text


@pytest.mark.parametrize(
    ("remote", "real_ip", "expected"),
    [
        ("127.0.0.1", "203.0.113.5", "203.0.113.5"),  # from the local proxy: the client behind it
        ("198.51.100.7", "203.0.113.5", "198.51.100.7"),  # from elsewhere: a forged header is ignored
        ("127.0.0.1", "not-an-ip", "127.0.0.1"),
        ("127.0.0.1", "", "127.0.0.1"),
    ],
)
def test_rate_limits_count_the_real_client_only_behind_a_trusted_proxy(rf, remote, real_ip, expected):
    from buzeta.views import client_ip

    request = rf.get("/", REMOTE_ADDR=remote, HTTP_X_REAL_IP=real_ip)
    assert client_ip(request) == expected


def test_clients_behind_the_proxy_get_their_own_budget(client, db, limits):
    for _ in range(3):
        client.get("/nobody-at-all-here", HTTP_X_REAL_IP="203.0.113.5")
    assert client.get("/nobody-at-all-here", HTTP_X_REAL_IP="203.0.113.5").status_code == 429
    assert client.get("/nobody-at-all-here", HTTP_X_REAL_IP="203.0.113.6").status_code == 404


@pytest.mark.parametrize("last", ["-", "_", "a", "9"])
def test_a_query_string_is_scrubbed_whatever_the_link_id_ends_in(db, last):
    """Link ids are URL-safe base64: one in 64 ends in "-", and its filters reached Sentry (CI, once)."""
    link = f"AbCdEfGhIjKlMnOpQrStU{last}"
    event = {"extra": {"request": f"<WSGIRequest: GET '/{link}?status=Sewing&q=Murphy'>"}}
    scrubbed = str(scrub_event(event))
    assert "Sewing" not in scrubbed and "Murphy" not in scrubbed and link not in scrubbed
