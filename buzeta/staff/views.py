"""Staff pages outside the admin: sign-in doors, the day's worklist and the order lookups (the customer preview
is the reports' page)."""

from __future__ import annotations

import re

from django.conf import settings
from django.contrib import admin, messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.http import require_safe

from audit.roles import staff_role_required
from buzeta.staff.lookup import lookup_table
from buzeta.staff.today import today_worklist
from odata.client import get_client
from odata.errors import ODataError
from odata.targets import INSTANCES
from reports.report import upstream_message

ORDER_NO = re.compile(r"^[A-Za-z0-9_-]{1,30}$")
LOOKUPS = {"jobs-schedule": ("JobsScheduleDetailed", "Jobs schedule"), "wip": ("WorkInProgress", "Work in progress")}


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
@staff_role_required
def staff_lookup(request: HttpRequest, lookup: str, instance: str, order_no: str) -> HttpResponse:
    """Staff only: every upstream row of one order, all fields, straight from BuzManager."""
    if instance not in INSTANCES or not ORDER_NO.match(order_no):
        raise Http404("No such order.")
    entity_set, title = LOOKUPS[lookup]
    try:
        rows = get_client(instance).lookup(entity_set, order_no)
    except ODataError as exc:
        context = {**admin.site.each_context(request), "title": title, "message": upstream_message(exc)}
        return render(request, "staff/lookup_unavailable.html", context, status=exc.http_status)
    columns, table = lookup_table(rows)
    context = {
        **admin.site.each_context(request),  # the admin's header, sidebar and user tools
        "title": title,
        "lookup": lookup,
        "lookups": [(name, label) for name, (_, label) in LOOKUPS.items()],
        "instance": instance,
        "order_no": order_no,
        "columns": columns,
        "rows": table,
        "tz_name": settings.BUZ_TIMEZONE,
    }
    return render(request, "staff/lookup.html", context)


@require_safe
@staff_role_required
def staff_today(request: HttpRequest) -> HttpResponse:
    """Customer service's day: late, moved, unscheduled and likely-late orders, customers to call, e-mails."""
    context = {
        **admin.site.each_context(request),
        "title": "Today",
        "today": today_worklist(),
        "unscheduled_heading": f"No date yet, {settings.BUZ_UNSCHEDULED_DAYS} days and more after we first saw them",
    }
    return render(request, "staff/today.html", context)


@require_safe
@staff_role_required
def staff_lookup_search(request: HttpRequest) -> HttpResponse:
    """The admin's "Look up an order" box: on to the lookup page, or back with a message."""
    lookup, instance = request.GET.get("lookup", "jobs-schedule"), request.GET.get("instance", "")
    order_no = request.GET.get("order_no", "").strip()
    if lookup not in LOOKUPS or instance not in INSTANCES or not ORDER_NO.match(order_no):
        messages.error(request, "Enter an order number (letters, digits, - or _) and choose DD or CBR.")
        return redirect("admin:index")
    return redirect("staff-lookup", lookup=lookup, instance=instance, order_no=order_no)
