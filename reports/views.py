from __future__ import annotations

import hashlib
import logging
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import caches
from django.core.exceptions import BadRequest, PermissionDenied
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    JsonResponse,
    QueryDict,
)
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from audit.roles import staff_role_required
from customers.models import Customer
from customers.selectors import customer_or_404
from customers.services import customer_record_view
from lib.http import json_error
from orders.filters import FilterError, ReportFilters, filter_query
from reports.calendar_feed import calendar_links, calendar_response
from reports.exports import EXPORT_TYPES, export_response
from reports.extras import page_extras
from reports.jobs import job_start_or_join
from reports.models import ReportJob
from reports.page import ReportPage
from reports.report import CachedRowsGone, Report, ReportUnavailable
from reports.selectors import public_job_by_id
from reports.services import (
    PagePlan,
    StillPreparing,
    job_report,
    job_status,
    report_for_export,
    report_page,
    report_within_budget,
)

log = logging.getLogger(__name__)

MAX_QUERY_LENGTH = 2000
# Pages are kept and reused across visitors (REPORT_PAGE_CACHE_SECONDS), but a CSRF token is
# per visitor: the page holds this mark, and each response gets the visitor's own token.
CSRF_SLOT = "__csrf_token_for_this_visitor__"
# Only pages up to this size are kept for reuse: with MAX_ENTRIES, a bound on each process's memory.
REUSED_PAGE_MAX_BYTES = 512 * 1024


def filters_from_query(query: QueryDict) -> ReportFilters:
    """The page's filters from a query string (old names too); absurd input is a 400, not a crash."""
    values: dict[str, list[str]] = {}
    for key, value in filter_query(dict(query.lists())):
        values.setdefault(key, []).append(value)
    try:
        return ReportFilters.parse(values)
    except FilterError as exc:
        raise BadRequest(str(exc)) from exc


def _customer_or_404(request: HttpRequest, obfuscated_id: str) -> Customer:
    if len(request.META.get("QUERY_STRING", "")) > MAX_QUERY_LENGTH:
        raise BadRequest("The address is too long.")
    return customer_or_404(obfuscated_id)


def _staff(staff_preview: bool) -> dict:
    """What the staff banner of a preview needs: that it is one, and the way back to the customers."""
    back = reverse("admin:customers_customer_changelist") if staff_preview else ""
    return {"staff_preview": staff_preview, "staff_back_url": back}


def _with_query(request: HttpRequest, path: str) -> str:
    query = request.META.get("QUERY_STRING", "")
    return f"{path}?{query}" if query else path


def _page_number(request: HttpRequest) -> int:
    try:
        return max(1, int(request.GET.get("page", "1")))
    except ValueError:
        return 1


def _report_response(
    request: HttpRequest,
    report: Report,
    *,
    refresh_job: ReportJob | None = None,
    permanent_url: str = "",
    paged: bool = True,
    printing: bool = False,
    staff_preview: bool = False,
) -> HttpResponse:
    """The report page. `permanent_url`: where the address bar should end (pages reached through a job);
    `paged=False`: every order on one page (the /sync/ report); `printing`: that, to print (bounded)."""
    # Links (export, pages, stages) and the address bar carry the filters under today's names.
    query = filter_query(dict(request.GET.lists()))
    forecast = settings.BUZ_FORECAST_PUBLIC or staff_preview
    page = ReportPage(
        report, query=query, page=_page_number(request) if paged else None, printing=printing, forecast=forecast
    )
    context = {
        "printing": printing,
        "report": report,
        "page": page,
        "filter_query": urlencode(query),
        "tz_name": settings.BUZ_TIMEZONE,
        "refresh_job": refresh_job,
        "permanent_url": permanent_url,
        "paged": paged,
        **_staff(staff_preview),
        "page_extras": page_extras(),
        "csrf_field": CSRF_SLOT,
        "calendar": calendar_links(
            request.build_absolute_uri(
                reverse("customer-calendar", args=[report.obfuscated_id]) + (f"?{urlencode(query)}" if query else "")
            )
        ),
    }
    return render(request, "reports/report.html", context)


def with_visitor_csrf(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """The page with this visitor's CSRF token in its forms (see CSRF_SLOT)."""
    slot = CSRF_SLOT.encode()
    if slot in response.content:
        response.content = response.content.replace(slot, get_token(request).encode())
    return response


def _plan_response(request: HttpRequest, customer: Customer, plan: PagePlan, *, staff_preview: bool = False):
    if plan.report is None:
        context = {"customer": customer, "job": plan.job, **_staff(staff_preview)}
        return render(request, "reports/loading.html", context)
    return _report_response(request, plan.report, refresh_job=plan.job, staff_preview=staff_preview)


def _unavailable_response(
    request: HttpRequest, customer: Customer, exc: ReportUnavailable, *, staff_preview: bool = False
) -> HttpResponse:
    context = {"customer": customer, "message": exc.message, **_staff(staff_preview)}
    response = render(request, "reports/unavailable.html", context, status=exc.http_status)
    if exc.retry_after:
        response["Retry-After"] = str(exc.retry_after)
    return response


@require_safe
def customer_report(request: HttpRequest, obfuscated_id: str) -> HttpResponse:
    """The report at once when usable data exists, else a loading page that follows a job."""
    # The customer first, every time: a regenerated or deleted link is a 404 on the very next
    # request, in every process, whatever pages were kept. The key holds the link, so a new link never
    # meets the old link's pages.
    customer = _customer_or_404(request, obfuscated_id)
    customer_record_view(customer_id=customer.pk)
    return customer_page(request, customer)


def customer_page(request: HttpRequest, customer: Customer, *, staff_preview: bool = False) -> HttpResponse:
    """The customer's page (or its loading page). `staff_preview`: with a staff banner, never kept for reuse."""
    pages = caches["pages"]
    page_key = (
        f"report-page:{customer.pk}:{customer.obfuscated_id}:"
        # Only what changes the page: junk query parameters cannot fill the cache with copies.
        + hashlib.sha256(
            f"{urlencode(filter_query(dict(request.GET.lists())))}#{_page_number(request)}".encode()
        ).hexdigest()
    )
    if not staff_preview and (html := pages.get(page_key)) is not None:
        return with_visitor_csrf(request, HttpResponse(html))
    filters = filters_from_query(request.GET)
    try:
        plan = report_page(customer=customer, filters=filters)
    except ReportUnavailable as exc:
        return _unavailable_response(request, customer, exc, staff_preview=staff_preview)
    response = _plan_response(request, customer, plan, staff_preview=staff_preview)
    reusable = (
        not staff_preview
        and plan.report is not None
        and plan.job is None
        and len(response.content) <= REUSED_PAGE_MAX_BYTES
    )
    if reusable and settings.REPORT_PAGE_CACHE_SECONDS:
        # Only settled pages: one with a refresh under way carries its job.
        pages.set(page_key, response.content, settings.REPORT_PAGE_CACHE_SECONDS)
    return with_visitor_csrf(request, response)


@require_safe
def sync_report(request: HttpRequest, obfuscated_id: str) -> HttpResponse:
    """The whole report, every order on one page (what tools read, and what prints), as live as the
    fetch policy allows: it waits for the job up to BUZ_WEB_WAIT_SECONDS. A 200 always carries the
    complete report; when it cannot be had in time the answer is 503 (or 502/504) with Retry-After.
    `?print=1` asks for it to print: at most BUZ_PRINT_MAX_ORDERS orders, saying how many it leaves out."""
    customer = _customer_or_404(request, obfuscated_id)
    filters = filters_from_query(request.GET)
    try:
        report = report_within_budget(customer=customer, filters=filters)
    except ReportUnavailable as exc:
        return _unavailable_response(request, customer, exc)
    printing = request.GET.get("print") == "1"
    return with_visitor_csrf(request, _report_response(request, report, paged=False, printing=printing))


@require_POST
def customer_refresh(request: HttpRequest, obfuscated_id: str) -> HttpResponse:
    """ "Try again": start (or join) a job, then back to the customer's page."""
    customer = _customer_or_404(request, obfuscated_id)
    job_start_or_join(customer=customer)
    return redirect(customer.get_absolute_url(), permanent=False)


@require_safe
def job_status_json(request: HttpRequest, job_id: str) -> JsonResponse:
    job = public_job_by_id(job_id)
    if job is None:
        return json_error("No such job.", "NOT_FOUND", status=404)
    response = JsonResponse(job_status(job))
    response["Cache-Control"] = "no-store"
    return response


@require_safe
def job_report_page(request: HttpRequest, job_id: str) -> HttpResponse:
    job = public_job_by_id(job_id)
    if job is None:
        # Old jobs are purged, and a job made under a link since replaced has expired with that
        # link: whoever followed a saved address has done nothing wrong, and is shown nothing.
        return render(request, "reports/job_gone.html", status=404)
    if job.status != ReportJob.DONE:
        # Running: the customer page shows its progress. Failed: the page says so and offers a retry.
        return redirect(_with_query(request, job.customer.get_absolute_url()))
    filters = filters_from_query(request.GET)
    try:
        report = job_report(job, filters=filters)
    except ReportUnavailable as exc:
        return _unavailable_response(request, job.customer, exc)
    except CachedRowsGone:
        # The data it showed was cleared: the customer's page shows what there is now.
        return redirect(_with_query(request, job.customer.get_absolute_url()))
    # A snapshot under the job's address: the browser is moved to the customer's permanent link.
    return with_visitor_csrf(request, _report_response(request, report, permanent_url=job.customer.get_absolute_url()))


@require_safe
def customer_download(request: HttpRequest, obfuscated_id: str, fmt: str) -> HttpResponse:
    """The report as CSV or XLSX, filtered like the page.

    HEAD answers with the headers alone: its body would be thrown away, so it
    never builds the export or calls upstream.
    """
    if fmt not in EXPORT_TYPES:
        raise Http404("Unknown export format.")
    customer = _customer_or_404(request, obfuscated_id)
    filters = filters_from_query(request.GET)
    if request.method == "HEAD":
        return export_response(request, fmt, None, customer=customer)
    try:
        report = report_for_export(customer=customer, filters=filters)
    except StillPreparing as exc:
        if not _wants_a_page(request):
            return _unavailable_response(request, customer, exc)  # a tool: 503, Retry-After
        # A person who clicked: a page that follows the job, then fetches the file by itself.
        context = {"customer": customer, "job": exc.job, "download_url": request.get_full_path()}
        response = render(request, "reports/download_waiting.html", context, status=202)
        response["Retry-After"] = str(exc.retry_after)
        return response
    except ReportUnavailable as exc:
        return _unavailable_response(request, customer, exc)
    return export_response(request, fmt, report, customer=customer)


@require_safe
def customer_calendar(request: HttpRequest, obfuscated_id: str) -> HttpResponse:
    """The customer's open orders as a calendar feed (reports.calendar_feed), filtered like the page.

    Calendar apps ask again every hour or so and cannot follow a job: the same data as a download,
    a 503 with Retry-After while a cold report is still being prepared, and a 304 when nothing changed.
    """
    customer = _customer_or_404(request, obfuscated_id)
    filters = filters_from_query(request.GET)
    try:
        report = report_for_export(customer=customer, filters=filters)
    except ReportUnavailable as exc:
        return _unavailable_response(request, customer, exc)
    page_url = request.build_absolute_uri(_with_query(request, customer.get_absolute_url()))
    return calendar_response(request, report, customer=customer, page_url=page_url)


def _wants_a_page(request: HttpRequest) -> bool:
    """A browser navigating (its Accept names HTML), not a tool fetching a file."""
    return "text/html" in request.headers.get("Accept", "")


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html")


@require_safe
@staff_role_required
def customer_preview(request: HttpRequest, obfuscated_id: str) -> HttpResponse:
    """The customer's page as they see it, with a staff banner; not counted as their view."""
    if not request.user.has_perm("customers.view_customer"):
        raise PermissionDenied
    return customer_page(request, customer_or_404(obfuscated_id), staff_preview=True)
