"""Sentry for real: the actual sentry-sdk sends events to a local HTTP endpoint acting as the DSN,
and the captured envelopes are searched for anything that must not leave."""

from __future__ import annotations

import gzip
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from secrets import token_hex

import pytest
import sentry_sdk
from django.test import Client

from buzeta.sentry import init_sentry


class _Collector(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        encoding = self.headers.get("Content-Encoding", "")
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "br":
            import brotli

            body = brotli.decompress(body)
        self.server.envelopes.append(body.decode("utf-8", "replace"))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b"{}")


@pytest.fixture
def sentry_endpoint():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Collector)
    server.envelopes = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    init_sentry(f"http://public@127.0.0.1:{server.server_address[1]}/1", environment="test")
    yield server
    sentry_sdk.get_client().close()
    sentry_sdk.init()  # no DSN: off again for the other tests
    server.shutdown()
    server.server_close()


def test_events_through_the_real_sdk_carry_no_link_ids_emails_or_names(sentry_endpoint, make_customer, monkeypatch):
    customer = make_customer(display_name="Northside Window Co", dd_name="Northside Window Co")
    legacy = make_customer(display_name="Old Client Pty", dd_name="Old Client Pty", obfuscated_id="Xy9_q")
    # Values made at run time, so the test's own source lines (which Sentry sends as context) hold none of them.
    cookie, status = token_hex(8), token_hex(6)
    secrets = [customer.obfuscated_id, legacy.obfuscated_id, "bob@example.com", "Northside", "Old Client", cookie]

    import reports.views

    def broken(*, customer, filters):
        link_in_a_local = legacy.obfuscated_id  # noqa: F841 - a frame variable Sentry reads
        logging.getLogger("reports").warning("building %s for bob@example.com", customer.obfuscated_id)
        sentry_sdk.set_tag("link", customer.obfuscated_id)
        raise RuntimeError(
            f"no report for {customer.obfuscated_id} ({customer.display_name}) via {legacy.obfuscated_id}"
        )

    monkeypatch.setattr(reports.views, "report_page", broken)
    response = Client(raise_request_exception=False).get(
        f"/{customer.obfuscated_id}?status={status}", HTTP_COOKIE=f"sessionid={cookie}"
    )
    assert response.status_code == 500
    logging.getLogger("odata.services").error("cache entry for %s failed (%s)", legacy.obfuscated_id, "Old Client Pty")
    sentry_sdk.flush(timeout=10)

    captured = "\n".join(sentry_endpoint.envelopes)
    assert "RuntimeError" in captured and "cache entry for" in captured  # the events did arrive
    assert "link_in_a_local" in captured  # with frame variables, so they were searched too
    for secret in secrets:
        assert secret not in captured, captured[max(0, captured.find(secret) - 300) : captured.find(secret) + 100]
    assert f"status={status}" not in captured  # no query string, in the request or in a URL in a string
    assert "[id]" in captured and "[email]" in captured and "[customer]" in captured
