"""Sentry set-up; only imported when SENTRY_DSN is configured."""

from __future__ import annotations

from typing import Any

import sentry_sdk
from sentry_sdk.integrations.django import DjangoIntegration

_SENSITIVE_HEADERS = {"cookie", "authorization", "x-api-key", "proxy-authorization"}


def scrub_event(event: dict[str, Any], hint: dict[str, Any] | None = None) -> dict[str, Any]:
    """Drop what must never leave: cookies, credentials, query strings, users."""
    request = event.get("request") or {}
    request.pop("cookies", None)
    request.pop("query_string", None)
    request.pop("data", None)
    if "url" in request:
        request["url"] = str(request["url"]).split("?", 1)[0]
    headers = request.get("headers") or {}
    for key in list(headers):
        if key.lower() in _SENSITIVE_HEADERS:
            headers[key] = "[scrubbed]"
    event.pop("user", None)
    return event


def init_sentry(dsn: str, *, environment: str) -> None:
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        integrations=[DjangoIntegration()],
        send_default_pii=False,
        before_send=scrub_event,
        traces_sample_rate=0.0,
    )
