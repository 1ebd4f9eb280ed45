from allauth.account.views import LoginView
from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import RedirectView
from django_ratelimit.decorators import ratelimit

from buzeta import views as buzeta_views
from buzeta.api.views import api
from buzeta.staff import views as staff_views
from customers.links import LINK_ID_PATTERN
from notifications import views as notification_views
from notifications.links import TOKEN_PATTERN
from reports import views as report_views

CUSTOMER_ID = f"(?P<obfuscated_id>{LINK_ID_PATTERN})"
# Anything up to a slash: malformed job ids get the same 404 as unknown ones.
JOB_ID = r"(?P<job_id>[^/]{1,64})"


def _limit(group: str, setting: str, method=ratelimit.ALL):
    """Per-IP limit read from settings at request time, shared by every route of a group."""
    return ratelimit(group=group, key="ip", rate=lambda _g, _r: getattr(settings, setting), method=method, block=True)


# Error pages, in JSON under /api/ and /jobs/ (buzeta.middleware.wants_json).
handler400 = "buzeta.views.bad_request"
handler403 = "buzeta.views.permission_denied"
handler404 = "buzeta.views.not_found"
handler500 = "buzeta.views.server_error"

public = _limit("public", "RATELIMIT_PUBLIC")
polling = _limit("polling", "RATELIMIT_POLLING")
login = _limit("login", "RATELIMIT_LOGIN", method="POST")
subscribing = _limit("subscribe", "RATELIMIT_SUBSCRIBE", method="POST")

urlpatterns = [
    path("", report_views.home, name="home"),
    path("admin/login/", staff_views.admin_login, name="admin-login"),
    path("admin/", admin.site.urls),
    path("admin", RedirectView.as_view(pattern_name="admin:index", permanent=True)),
    path("api/v1/", buzeta_views.json_errors_for(api.urls)),
    path("accounts/login/", login(LoginView.as_view()), name="account_login"),
    # Before allauth's own: these two answer friendly pages where allauth would fail.
    path("accounts/google/login/", login(staff_views.google_login), name="google_login"),
    path("accounts/password/reset/", login(staff_views.password_reset), name="account_reset_password"),
    path("accounts/", include("allauth.urls")),
    re_path(
        r"^(?P<lookup>jobs-schedule|wip)/(?P<instance>[^/]{1,10})/(?P<order_no>[^/]{1,40})/?$",
        staff_views.staff_lookup,
        name="staff-lookup",
    ),
    path("staff/lookup", staff_views.staff_lookup_search, name="staff-lookup-search"),
    re_path(r"^staff/today/?$", staff_views.staff_today, name="staff-today"),
    re_path(rf"^staff/preview/{CUSTOMER_ID}/?$", report_views.customer_preview, name="customer-preview"),
    re_path(rf"^jobs/{JOB_ID}/?$", polling(report_views.job_status_json), name="job-status"),
    re_path(rf"^report/{JOB_ID}/?$", public(report_views.job_report_page), name="job-report"),
    re_path(rf"^sync/{CUSTOMER_ID}/?$", public(report_views.sync_report), name="sync-report"),
    re_path(rf"^(?:etas/)?{CUSTOMER_ID}/refresh$", public(report_views.customer_refresh), name="customer-refresh"),
    re_path(
        rf"^(?:etas/)?{CUSTOMER_ID}/download\.(?P<fmt>[A-Za-z0-9]{{1,10}})$",
        public(report_views.customer_download),
        name="customer-download",
    ),
    re_path(
        rf"^(?:etas/)?{CUSTOMER_ID}/calendar\.ics$",
        public(report_views.customer_calendar),
        name="customer-calendar",
    ),
    re_path(
        rf"^{CUSTOMER_ID}/subscribe$", public(subscribing(notification_views.subscribe)), name="customer-subscribe"
    ),
    # E-mail links that do not carry the customer's link (notifications/links.py).
    re_path(
        rf"^subscriptions/confirm/(?P<token>{TOKEN_PATTERN})$",
        public(notification_views.confirm_by_token),
        name="subscription-confirm-token",
    ),
    re_path(
        rf"^subscriptions/unsubscribe/(?P<token>{TOKEN_PATTERN})$",
        public(notification_views.unsubscribe_by_token),
        name="subscription-unsubscribe-token",
    ),
    re_path(
        rf"^{CUSTOMER_ID}/subscriptions/confirm/(?P<token>{TOKEN_PATTERN})$",
        public(notification_views.confirm),
        name="subscription-confirm",
    ),
    re_path(
        rf"^{CUSTOMER_ID}/subscriptions/unsubscribe/(?P<token>{TOKEN_PATTERN})$",
        public(notification_views.unsubscribe),
        name="subscription-unsubscribe",
    ),
    # Old links from the Flask app: /<id> and /etas/<id>, with or without a trailing slash.
    re_path(rf"^etas/{CUSTOMER_ID}/?$", public(report_views.customer_report), name="customer-report-etas"),
    re_path(rf"^{CUSTOMER_ID}/?$", public(report_views.customer_report), name="customer-report"),
]
