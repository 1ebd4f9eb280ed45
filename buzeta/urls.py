from django.contrib import admin
from django.urls import path, re_path
from django.views.generic import RedirectView

from reports import views as report_views

admin.site.site_header = "BuzETA administration"
admin.site.site_title = "BuzETA"
admin.site.index_title = "Customers, statuses and reports"

# A customer id: legacy links used the same URL-safe alphabet.
CUSTOMER_ID = r"(?P<obfuscated_id>[A-Za-z0-9_-]{1,64})"
# Anything up to a slash: malformed job ids get the same 404 as unknown ones.
JOB_ID = r"(?P<job_id>[^/]{1,64})"

urlpatterns = [
    path("", report_views.home, name="home"),
    path("admin/", admin.site.urls),
    path("admin", RedirectView.as_view(url="/admin/", permanent=True)),
    re_path(rf"^jobs/{JOB_ID}/?$", report_views.job_status_json, name="job-status"),
    re_path(rf"^report/{JOB_ID}/?$", report_views.job_report_page, name="job-report"),
    re_path(rf"^sync/{CUSTOMER_ID}/?$", report_views.sync_report, name="sync-report"),
    re_path(rf"^(?:etas/)?{CUSTOMER_ID}/refresh$", report_views.customer_refresh, name="customer-refresh"),
    re_path(
        rf"^(?:etas/)?{CUSTOMER_ID}/download\.(?P<fmt>[A-Za-z0-9]{{1,10}})$",
        report_views.customer_download,
        name="customer-download",
    ),
    # Old links from the Flask app: /<id> and /etas/<id>, with or without a trailing slash.
    re_path(rf"^etas/{CUSTOMER_ID}/?$", report_views.customer_report, name="customer-report-etas"),
    re_path(rf"^{CUSTOMER_ID}/?$", report_views.customer_report, name="customer-report"),
]
