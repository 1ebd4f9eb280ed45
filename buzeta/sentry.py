"""Sentry set-up; only used when SENTRY_DSN is configured.

Events are scrubbed before they leave: cookies, credentials, query strings,
request bodies and users are dropped, and every string left anywhere in the
event (message, exception values, stack-frame variables, breadcrumbs, request,
tags, extra) loses email addresses, customer names and the secret ids in
customer links (a link is access to a customer's orders).

Link ids are replaced wherever they appear, whatever their length: every id
we hold is matched as a whole token (legacy ids can be short), and any
URL path segment shaped like a new id is replaced too, for ids this process
has not seen yet.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import sentry_sdk
from sentry_sdk.integrations.django import DjangoIntegration

from customers.links import LINK_ID_CHARS, LINK_ID_CHOSEN_MIN_LENGTH, LINK_ID_MAX_LENGTH

log = logging.getLogger(__name__)

SENSITIVE_HEADERS = {"cookie", "authorization", "x-api-key", "proxy-authorization", "referer", "x-csrftoken"}
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# A query string after a path (filters a customer chose), wherever a URL was written into a string.
# After any character a URL path may end in: link ids are URL-safe base64 and can end in "-".
QUERY = re.compile(r"(?<=[\w/\-.~%])\?[^\s'\"<>]+")
# A path segment shaped like a link id (or a job id): scrubbed even when we do not know it.
LINK_ID_IN_PATH = re.compile(rf"(?<=/){LINK_ID_CHARS}{{{LINK_ID_CHOSEN_MIN_LENGTH},{LINK_ID_MAX_LENGTH}}}(?=[/?#.]|$)")


class Secrets:
    """What must never leave: every customer's names and link id, read when an event is sent.

    Events are rare, so reading them each time costs little and misses nothing
    created a moment ago; when the database is the thing failing, the last list read is used.
    """

    def __init__(self) -> None:
        self.names: list[str] = []
        self.ids: re.Pattern | None = None

    def refresh(self) -> Secrets:
        try:
            from customers.models import Customer

            names, ids = set(), set()
            for display_name, dd_name, cbr_name, link_id in Customer.objects.values_list(
                "display_name", "dd_name", "cbr_name", "obfuscated_id"
            ):
                names.update(name for name in (display_name, dd_name, cbr_name) if name and len(name) >= 4)
                ids.add(link_id)
        except Exception:  # the database may be why we are reporting; keep what we had
            return self
        self.names = sorted(names, key=len, reverse=True)
        if ids:
            alternatives = "|".join(re.escape(i) for i in sorted(ids, key=len, reverse=True))
            # Whole ids only: not a part of a longer run of id characters.
            self.ids = re.compile(rf"(?<!{LINK_ID_CHARS})(?:{alternatives})(?!{LINK_ID_CHARS})")
        return self

    def scrub_text(self, value: str) -> str:
        value = EMAIL.sub("[email]", value)
        value = QUERY.sub("?[query]", value)
        if self.ids is not None:
            value = self.ids.sub("[id]", value)
        value = LINK_ID_IN_PATH.sub("[id]", value)
        for name in self.names:
            if name in value:
                value = value.replace(name, "[customer]")
        return value

    def scrub(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.scrub_text(value)
        if isinstance(value, dict):
            return {self.scrub(key) if isinstance(key, str) else key: self.scrub(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [self.scrub(item) for item in value]
        return value


_secrets = Secrets()


def scrub_event(event: dict[str, Any], hint: dict[str, Any] | None = None) -> dict[str, Any]:
    request = event.get("request") or {}
    for key in ("cookies", "query_string", "data", "env"):
        request.pop(key, None)
    if isinstance(request.get("url"), str):
        request["url"] = request["url"].split("?", 1)[0]
    headers = request.get("headers") or {}
    for key in list(headers):
        if key.lower() in SENSITIVE_HEADERS:
            headers[key] = "[scrubbed]"
    event.pop("user", None)
    for crumb in (event.get("breadcrumbs") or {}).get("values", []):
        data = crumb.get("data") or {}
        if isinstance(data.get("url"), str):
            data["url"] = data["url"].split("?", 1)[0]
    return _secrets.refresh().scrub(event)


def init_sentry(dsn: str, *, environment: str) -> None:
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        integrations=[DjangoIntegration()],
        send_default_pii=False,
        before_send=scrub_event,
        traces_sample_rate=0.0,
    )
