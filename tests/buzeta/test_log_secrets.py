"""Log lines never keep a secret: no link ids, job ids, tokens or query strings, and every line of a
request carries its request id — under gunicorn, as the product runs."""

from __future__ import annotations

import re

import pytest
import requests

from buzeta.log_redaction import hidden, redact_path, redact_text
from customers.models import Customer
from tests.conftest import app_env, cache_rows, make_job, order_line, start_gunicorn


def test_paths_keep_their_shape_and_lose_their_secrets(customer):
    link = customer.obfuscated_id
    assert redact_path(f"/{link}") == f"/{hidden(link)}"
    assert redact_path(f"/etas/{link}/download.csv?q=Smith&status=Sewing") == f"/etas/{hidden(link)}/download.csv?…"
    assert redact_path(f"/{link}/subscriptions/confirm/12.10:abc:def") == (
        f"/{hidden(link)}/subscriptions/confirm/{hidden('12.10:abc:def')}"
    )
    job = "0b8f2d5e-9c6a-4f7e-8a57-6c7a1f0d9e21"
    assert redact_path(f"/report/{job}") == f"/report/{hidden(job)}"
    assert redact_path(f"/api/v1/reports/{link}/download") == f"/api/v1/reports/{hidden(link)}/download"
    assert redact_path("/admin/customers/customer/12/change/") == "/admin/customers/customer/12/change/"
    assert redact_path("/static/css/app.css") == "/static/css/app.css"


def test_text_with_paths_and_whole_urls_is_redacted(customer):
    link = customer.obfuscated_id
    line = f'GET /{link}?q=x HTTP/1.1 from https://eta.example/{link}/subscribe "Not Found: /sync/{link}"'
    redacted = redact_text(line)
    assert link not in redacted and "q=x" not in redacted
    assert redacted.count(hidden(link)) == 3


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_under_gunicorn_no_line_keeps_a_secret_and_every_request_line_has_its_id(simulator, tmp_path, settings):
    customer = Customer.objects.create(display_name="Sunset", dd_name="Sunset Shade Solutions")
    cache_rows(customer, [order_line(RefNo="1", ProductionStatus="Cutting")])
    job = make_job(customer, status="done", result=[])
    link = customer.obfuscated_id
    env = app_env(simulator, tmp_path, WEB_CONCURRENCY="2", RATELIMIT_PUBLIC="6/h", LOG_FORMAT="text")
    web, base = start_gunicorn(env, tmp_path / "web.log")
    try:
        asked = [
            f"/{link}?q=SecretSearchTerm",
            f"/etas/{link}/download.csv?supplier=junkValue",
            f"/{link}/subscriptions/confirm/12.10:AAAAsignedTOKENvalue:zzz",
            f"/report/{job.pk}",
            f"/jobs/{job.pk}",
            "/Xy9_legacy-Link-0001",  # an unknown (maybe revoked) link: a 404, still a secret
        ]
        for path in asked * 2:  # past the limit: 429 lines too
            requests.get(f"{base}{path}", timeout=20)
    finally:
        web.stop()
    output = web.output()
    for secret in (link, str(job.pk), "SecretSearchTerm", "junkValue", "AAAAsignedTOKENvalue", "Xy9_legacy-Link-0001"):
        assert secret not in output, secret
    assert hidden(link) in output  # an operator can still follow one link through the log
    assert re.search(r'" 429 .* rid=[0-9a-f]{32}', output)
    # Django's own lines about a request (404, 429) carry that request's id, not "-".
    request_lines = [line for line in output.splitlines() if "django.request" in line]
    assert request_lines and all(not re.search(r"\[-\]", line) for line in request_lines), request_lines


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_a_request_line_too_long_for_gunicorn_is_refused_in_json(simulator, tmp_path):
    web, base = start_gunicorn(app_env(simulator, tmp_path), tmp_path / "web.log")
    try:
        response = requests.get(f"{base}/api/v1/reports/abcdefghijklmnop?q={'x' * 9000}", timeout=20)
    finally:
        web.stop()
    assert response.status_code == 414
    assert response.headers["Content-Type"] == "application/json"
    assert response.json()["code"] == "URI_TOO_LONG"
