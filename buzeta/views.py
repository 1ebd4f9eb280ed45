from __future__ import annotations

import ipaddress
import logging
import re

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template import loader
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.http import require_safe

from buzeta.middleware import wants_json
from buzeta.roles import has_staff_role
from odata.client import get_client
from odata.errors import ODataError
from odata.targets import INSTANCES
from reports.report import upstream_message

log = logging.getLogger(__name__)

ORDER_NO = re.compile(r"^[A-Za-z0-9_-]{1,30}$")
LOOKUPS = {"jobs-schedule": ("JobsScheduleDetailed", "Jobs schedule"), "wip": ("WorkInProgress", "Work in progress")}


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
        return JsonResponse({"error": "Too many requests; slow down.", "code": "RATE_LIMITED"}, status=429)
    response = render(request, "429.html", status=429)
    response["Retry-After"] = "60"
    return response


def _error_page(request: HttpRequest, status: int, template: str, message: str, code: str) -> HttpResponse:
    if wants_json(request):
        return JsonResponse({"error": message, "code": code}, status=status)
    return render(request, template, status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error_page(request, 400, "400.html", "The request is not valid.", "BAD_REQUEST")


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error_page(request, 403, "403.html", "Not allowed.", "FORBIDDEN")


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error_page(request, 404, "404.html", "Not found.", "NOT_FOUND")


def server_error(request: HttpRequest) -> HttpResponse:
    if wants_json(request):
        return JsonResponse({"error": "Something went wrong on our side.", "code": "SERVER_ERROR"}, status=500)
    # No context processors: whatever broke (the database?) must not break the error page too.
    return HttpResponse(loader.get_template("500.html").render(), status=500)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A failed CSRF check, in words a person can act on (Django's default is a bare debug-style page)."""
    log.warning("CSRF check failed on %s: %s", request.path, reason)
    if wants_json(request):
        return JsonResponse({"error": "The request could not be verified.", "code": "CSRF_FAILED"}, status=403)
    return render(request, "403_csrf.html", status=403)


def json_errors_for(urls: tuple) -> tuple:
    """django-ninja answers a wrong method with plain text; the API's contract is a JSON error."""
    patterns, app_name, namespace = urls

    def wrap(view):
        def wrapped(request, *args, **kwargs):
            response = view(request, *args, **kwargs)
            if response.status_code == 405 and not response.get("Content-Type", "").startswith("application/json"):
                allowed = response.get("Allow", "")
                response = JsonResponse({"error": "Method not allowed.", "code": "METHOD_NOT_ALLOWED"}, status=405)
                response["Allow"] = allowed
            return response

        wrapped.csrf_exempt = getattr(view, "csrf_exempt", False)
        return wrapped

    for pattern in patterns:
        pattern.callback = wrap(pattern.callback)
    return patterns, app_name, namespace


def google_login(request: HttpRequest) -> HttpResponse:
    """allauth's Google sign-in, or a page saying it is not set up (allauth would answer a 500)."""
    from allauth.socialaccount.adapter import get_adapter
    from allauth.socialaccount.models import SocialApp
    from allauth.socialaccount.providers.google.views import oauth2_login

    try:
        get_adapter(request).get_app(request, provider="google")
    except SocialApp.DoesNotExist:
        return render(request, "account/google_not_configured.html", status=503)
    return oauth2_login(request)


def password_reset(request: HttpRequest) -> HttpResponse:
    """Passwords are break-glass for superusers: no reset by e-mail unless e-mail is set up."""
    from allauth.account.views import password_reset as allauth_password_reset
    from django.conf import settings

    if not settings.EMAIL_CONFIGURED:
        return render(request, "account/password_reset_unavailable.html", status=404)
    return allauth_password_reset(request)


def admin_login(request: HttpRequest) -> HttpResponse:
    """The admin signs in through the same flow as everything else (Google, or break-glass)."""
    target = request.GET.get("next", reverse("admin:index"))
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("admin:index")
    return redirect(f"{reverse('account_login')}?{urlencode({'next': target})}")


@require_safe
@login_required
def staff_lookup(request: HttpRequest, lookup: str, instance: str, order_no: str) -> HttpResponse:
    """Staff only: every upstream row of one order, all fields, straight from BuzManager."""
    if not has_staff_role(request.user):
        raise PermissionDenied
    if instance not in INSTANCES or not ORDER_NO.match(order_no):
        raise Http404("No such order.")
    entity_set, title = LOOKUPS[lookup]
    try:
        rows = get_client(instance).lookup(entity_set, order_no)
    except ODataError as exc:
        context = {"title": title, "message": upstream_message(exc)}
        return render(request, "staff/lookup_unavailable.html", context, status=exc.http_status)
    columns = sorted({key for row in rows for key in row})
    table = [["" if row.get(c) is None else row.get(c) for c in columns] for row in rows]
    context = {"title": title, "instance": instance, "order_no": order_no, "columns": columns, "rows": table}
    return render(request, "staff/lookup.html", context)
