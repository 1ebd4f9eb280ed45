"""Log lines never carry a secret: link ids, job ids and tokens in paths become short hashes,
and query strings (filters, search terms) are left out.

A customer's link id is the key to their orders, a job id opens a report, a confirm or
unsubscribe token acts on a subscription; log lines reach log shippers and Sentry. The
short hash (the link fingerprint's first characters) still lets an operator follow one
link through the logs. Applied to every line the app writes (a logging filter on the
handler) and to gunicorn's access lines (buzeta.operations.gunicorn).
"""

from __future__ import annotations

import logging
import re

from django.urls import Resolver404, resolve

from customers.links import link_fingerprint

# URL arguments that are secrets: the customer's link, a job, a signed token, allauth's reset key.
SECRET_ARGUMENTS = ("obfuscated_id", "job_id", "token", "key", "uidb36")
# A path in a line (with its scheme and host when it is a whole URL), up to a quote, space or bracket.
_PATH_IN_TEXT = re.compile(r"""(?<![\w/.:-])(?:https?://[^/\s"'<>]+)?(/[^\s"'<>]*)""")
# Outside our routes: a segment that could be a link id (long, of the link's characters, not a plain word).
_LOOKS_SECRET = re.compile(r"^(?=.*[A-Z0-9_])[A-Za-z0-9_-]{8,}$")


def hidden(value: str) -> str:
    return f"~{link_fingerprint(value)[:8]}"


def redact_path(path: str) -> str:
    """`/Xy9…/download.csv?q=smith` → `/~3fa9c1d2/download.csv?…`."""
    path, has_query, _ = path.partition("?")
    try:
        secrets = [value for name, value in resolve(path).kwargs.items() if name in SECRET_ARGUMENTS and value]
    except Resolver404:
        secrets = [segment for segment in path.split("/") if _LOOKS_SECRET.match(segment)]
    except Exception:  # a path Django cannot even read (odd bytes): keep nothing of it
        return "/…"
    segments = ["" if not s else hidden(s) if s in secrets else s for s in path.split("/")]
    return "/".join(segments) + ("?…" if has_query else "")


def redact_text(text: str) -> str:
    return _PATH_IN_TEXT.sub(lambda match: match.group(0).replace(match.group(1), redact_path(match.group(1))), text)


class RedactSecretsFilter(logging.Filter):
    """Rewrites each record's message with its paths redacted (on the handler: every logger's lines)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "/" in message:
            record.msg, record.args = redact_text(message), None
        return True
