"""A request id on every request: taken from the proxy's X-Request-ID or made, logged, returned."""

from __future__ import annotations

import contextvars
import logging
import re
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

# Routes whose callers read JSON, so errors answered outside the view are JSON too.
JSON_PREFIXES = ("/api/", "/jobs/")


def wants_json(request: HttpRequest) -> bool:
    return request.path.startswith(JSON_PREFIXES)


request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
_ACCEPTABLE = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        given = request.headers.get("X-Request-ID", "")
        value = given if _ACCEPTABLE.match(given) else uuid.uuid4().hex
        # On the request too: Django logs "Not Found" or "Too Many Requests" after every middleware
        # has returned, when the context variable is already reset (RequestIdLogFilter reads both).
        request.request_id = value
        token = request_id.set(value)
        try:
            response = self.get_response(request)
        finally:
            request_id.reset(token)
        response["X-Request-ID"] = value
        return response


class RequestIdLogFilter(logging.Filter):
    """Adds `request_id` to every log record ("-" outside a request: worker, commands)."""

    def filter(self, record: logging.LogRecord) -> bool:
        from_request = getattr(getattr(record, "request", None), "request_id", None)
        record.request_id = from_request or request_id.get()
        return True


class DatabaseTroubleMiddleware:
    """The database is down, restarting or out of disk, or the rate-limit counters cannot be written:
    a clear 503 and a log line naming the cause, not a generic 500 (or a 429 the visitor did not earn).

    Integrity errors are bugs, not trouble, and still reach the 500 handler.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        cause = trouble_cause(exception)
        if cause is None:
            return None
        logging.getLogger("buzeta.database").error("%s: %s", cause, exception, exc_info=exception)
        return unavailable_response(request)


def trouble_cause(exception: Exception) -> str | None:
    """What an exception says is unavailable (in a log line's words), or None when it is not trouble."""
    from django.db import InterfaceError, OperationalError

    from buzeta.cache import CounterStoreUnavailable

    if isinstance(exception, CounterStoreUnavailable):
        return "rate-limit counters cannot be written"
    if isinstance(exception, OperationalError | InterfaceError):
        return "database unavailable"
    try:
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import TimeoutError as RedisTimeout
    except ImportError:  # pragma: no cover - redis is in requirements.txt
        return None
    if isinstance(exception, RedisConnectionError | RedisTimeout):
        return "shared cache (Redis) unavailable"
    return None


def unavailable_response(request: HttpRequest) -> HttpResponse:
    from django.template.loader import render_to_string

    from lib.http import json_error

    if wants_json(request):
        response: HttpResponse = json_error(
            "The service is briefly unavailable; try again shortly.", "UNAVAILABLE", status=503
        )
    else:
        from orders.wording import brand

        response = HttpResponse(render_to_string("503.html", {"brand": brand()}), status=503)
    response["Retry-After"] = "30"
    return response
