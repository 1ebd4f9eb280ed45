"""gunicorn, as BuzETA runs it (gunicorn.conf.py names these).

- `RedactingLogger`: access lines without link ids, tokens or query strings (buzeta.log_redaction).
- `JsonErrorWorker`: the two refusals gunicorn makes by itself before the app sees a request,
  a request line over `limit_request_line` (long filters) and headers too large, are JSON in
  the API's error envelope, not gunicorn's HTML page, so the API's clients read every error
  the same way and the OpenAPI document can say so. (Such a request's path was never read,
  so the answer is JSON for everyone.)
"""

from __future__ import annotations

import contextlib
import json

from gunicorn.glogging import Logger
from gunicorn.http import errors as http_errors
from gunicorn.workers.gthread import ThreadWorker

# What the path-less requests become: gunicorn's own status for each kind of refusal.
_REFUSALS = {
    http_errors.LimitRequestLine: (414, "URI_TOO_LONG", "The address is too long."),
    http_errors.LimitRequestHeaders: (431, "HEADERS_TOO_LARGE", "The request headers are too large."),
}


class RedactingLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        from buzeta.log_redaction import redact_path, redact_text

        atoms = super().atoms(resp, req, environ, request_time)
        atoms["r"] = redact_text(atoms["r"])
        atoms["U"] = redact_path(atoms["U"] or "")
        atoms["q"] = "…" if atoms["q"] else ""
        atoms["f"] = redact_text(atoms["f"])
        for name in list(atoms):
            if name.endswith("}e") or name in ("{referer}i", "{cookie}i", "{x-api-key}i"):
                atoms.pop(name)  # the environment and these headers hold what the fields above hide
        return atoms


class JsonErrorWorker(ThreadWorker):
    def handle_error(self, req, client, addr, exc):
        from lib.http import error_body

        refusal = next((r for kind, r in _REFUSALS.items() if isinstance(exc, kind)), None)
        if refusal is None:
            return super().handle_error(req, client, addr, exc)
        status, code, message = refusal
        self.log.warning("refused before the app: %s %s", status, type(exc).__name__)
        body = json.dumps(error_body(message, code)).encode()
        reason = {414: "URI Too Long", 431: "Request Header Fields Too Large"}[status]
        head = (
            f"HTTP/1.1 {status} {reason}\r\nConnection: close\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        with contextlib.suppress(OSError):  # the client may be gone
            client.sendall(head + body)
