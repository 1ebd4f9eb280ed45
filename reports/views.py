from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, render

from customers.models import Customer
from reports.rules import FILTER_KEYS, ReportFilters
from reports.services import ReportUnavailable, report_build

log = logging.getLogger(__name__)

MAX_QUERY_LENGTH = 2000
MAX_FILTER_VALUES = 20
MAX_FILTER_LENGTH = 200


def filters_from_query(query: QueryDict) -> ReportFilters:
    """The page's filters from a query string; absurd input is a 400, not a crash."""
    values: dict[str, list[str]] = {}
    for key in FILTER_KEYS:
        given = query.getlist(key)
        if len(given) > MAX_FILTER_VALUES or any(len(v) > MAX_FILTER_LENGTH for v in given):
            raise BadRequest(f"Too many or too long values for '{key}'.")
        values[key] = given
    return ReportFilters.from_values(**values)


def _customer_or_404(request: HttpRequest, obfuscated_id: str) -> Customer:
    if len(request.META.get("QUERY_STRING", "")) > MAX_QUERY_LENGTH:
        raise BadRequest("The address is too long.")
    return get_object_or_404(Customer, obfuscated_id=obfuscated_id)


def _render_report(request: HttpRequest, customer: Customer) -> HttpResponse:
    filters = filters_from_query(request.GET)
    try:
        report = report_build(customer=customer, filters=filters)
    except ReportUnavailable as exc:
        return render(
            request,
            "reports/unavailable.html",
            {"customer_name": customer.display_name, "message": exc.message},
            status=exc.http_status,
        )
    return render(request, "reports/report.html", {"report": report, "tz_name": settings.BUZ_TIMEZONE})


def customer_report(request: HttpRequest, obfuscated_id: str) -> HttpResponse:
    return _render_report(request, _customer_or_404(request, obfuscated_id))


def sync_report(request: HttpRequest, obfuscated_id: str) -> HttpResponse:
    """The report built inside the request, however long upstream takes."""
    return _render_report(request, _customer_or_404(request, obfuscated_id))


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html")
