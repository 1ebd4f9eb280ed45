"""Sentry set-up; only used when SENTRY_DSN is configured.

Events are scrubbed before they leave: cookies, credentials, query strings,
request bodies, users, email addresses, customer names, and the secret ids
in customer links (a link is access to a customer's orders).
"""

from __future__ import annotations

import re
import time
from typing import Any

import sentry_sdk
from sentry_sdk.integrations.django import DjangoIntegration

SENSITIVE_HEADERS = {"cookie", "authorization", "x-api-key", "proxy-authorization", "referer", "x-csrftoken"}
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# A path segment that may be a customer's obfuscated id or a job id.
LINK_ID = re.compile(r"(?<=/)[A-Za-z0-9_-]{16,64}(?=/|$|\.)")
_names: tuple[float, list[str]] = (0.0, [])


def customer_names() -> list[str]:
    """Every customer name we know, longest first, refreshed every five minutes."""
    global _names
    loaded_at, names = _names
    if time.monotonic() - loaded_at > 300:
        try:
            from customers.models import Customer

            found = set()
            for row in Customer.objects.values_list("display_name", "dd_name", "cbr_name"):
                found.update(name for name in row if name and len(name) >= 4)
            names = sorted(found, key=len, reverse=True)
        except Exception:
            names = names or []
        _names = (time.monotonic(), names)
    return names


def _scrub_text(value: str, names: list[str]) -> str:
    value = EMAIL.sub("[email]", value)
    for name in names:
        if name in value:
            value = value.replace(name, "[customer]")
    return value


def _scrub(value: Any, names: list[str]) -> Any:
    if isinstance(value, str):
        return _scrub_text(value, names)
    if isinstance(value, dict):
        return {key: _scrub(item, names) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub(item, names) for item in value]
    return value


def _scrub_url(url: str) -> str:
    return LINK_ID.sub("[id]", url.split("?", 1)[0])


def scrub_event(event: dict[str, Any], hint: dict[str, Any] | None = None) -> dict[str, Any]:
    request = event.get("request") or {}
    for key in ("cookies", "query_string", "data", "env"):
        request.pop(key, None)
    if "url" in request:
        request["url"] = _scrub_url(str(request["url"]))
    headers = request.get("headers") or {}
    for key in list(headers):
        if key.lower() in SENSITIVE_HEADERS:
            headers[key] = "[scrubbed]"
    event.pop("user", None)
    if isinstance(event.get("transaction"), str):
        event["transaction"] = _scrub_url(event["transaction"])
    for crumb in (event.get("breadcrumbs") or {}).get("values", []):
        data = crumb.get("data") or {}
        if isinstance(data.get("url"), str):
            data["url"] = _scrub_url(data["url"])
    return _scrub(event, customer_names())


def init_sentry(dsn: str, *, environment: str) -> None:
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        integrations=[DjangoIntegration()],
        send_default_pii=False,
        before_send=scrub_event,
        traces_sample_rate=0.0,
    )
