from __future__ import annotations

import ipaddress
import logging

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template import loader

from buzeta.middleware import wants_json
from lib.http import json_error
from orders.wording import brand

log = logging.getLogger(__name__)


def client_ip(request: HttpRequest) -> str:
    """The client's address for rate limits: X-Real-IP only when a trusted proxy sent the request.

    Behind nginx every request comes from the proxy; without this all customers
    would share one bucket. From anywhere else the header is ignored (it could be forged).
    """
    from django.conf import settings

    remote = request.META.get("REMOTE_ADDR", "")
    forwarded = request.META.get("HTTP_X_REAL_IP", "").strip()
    if forwarded and remote in settings.TRUSTED_PROXIES:
        try:
            return str(ipaddress.ip_address(forwarded))
        except ValueError:
            pass
    return remote


def rate_limited(request: HttpRequest, exception: Exception) -> HttpResponse:
    """django-ratelimit's answer: 429 (not 403), JSON for JSON routes."""
    if wants_json(request):
        return json_error("Too many requests; slow down.", "RATE_LIMITED", status=429)
    response = render(request, "429.html", status=429)
    response["Retry-After"] = "60"
    return response


def _error_page(request: HttpRequest, status: int, template: str, message: str, code: str) -> HttpResponse:
    if wants_json(request):
        return json_error(message, code, status=status)
    return render(request, template, status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error_page(request, 400, "400.html", "The request is not valid.", "BAD_REQUEST")


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error_page(request, 403, "403.html", "Not allowed.", "FORBIDDEN")


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error_page(request, 404, "404.html", "Not found.", "NOT_FOUND")


def server_error(request: HttpRequest) -> HttpResponse:
    if wants_json(request):
        return json_error("Something went wrong on our side.", "SERVER_ERROR", status=500)
    # No context processors: whatever broke (the database?) must not break the error page too.
    return HttpResponse(loader.get_template("500.html").render({"brand": brand()}), status=500)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A failed CSRF check, in words a person can act on (Django's default is a bare debug-style page)."""
    log.warning("CSRF check failed on %s: %s", request.path, reason)
    if wants_json(request):
        return json_error("The request could not be verified.", "CSRF_FAILED", status=403)
    return render(request, "403_csrf.html", status=403)


def json_errors_for(urls: tuple) -> tuple:
    """django-ninja answers a wrong method with plain text; the API's contract is a JSON error."""
    patterns, app_name, namespace = urls

    def wrap(view):
        def wrapped(request, *args, **kwargs):
            response = view(request, *args, **kwargs)
            if response.status_code == 405 and not response.get("Content-Type", "").startswith("application/json"):
                allowed = response.get("Allow", "")
                response = json_error("Method not allowed.", "METHOD_NOT_ALLOWED", status=405)
                response["Allow"] = allowed
            return response

        wrapped.csrf_exempt = getattr(view, "csrf_exempt", False)
        return wrapped

    for pattern in patterns:
        pattern.callback = wrap(pattern.callback)
    return patterns, app_name, namespace
