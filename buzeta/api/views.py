"""The JSON API under /api/v1/ (README, "JSON API"). Key in X-API-Key; one envelope; JSON errors.

django-ninja builds the OpenAPI document at /api/v1/openapi.json from these functions and
buzeta.api.schemas, so it always matches what is served. Keys have a scope (buzeta.api.auth):
customers, their links and status refreshes need `manage`; the rest `read`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from django.core.exceptions import RequestDataTooBig, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django_ratelimit.exceptions import Ratelimited
from ninja import NinjaAPI, Query, Status
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as RequestInvalid

from audit.services import Actor
from buzeta.api.auth import KeyAuth, OutOfScope, Revoked
from buzeta.api.schemas import (
    AUTHED,
    CUSTOMER_ERRORS,
    ERRORS,
    QUERY_ERRORS,
    REPORT_ERRORS,
    CustomerIn,
    CustomerNew,
    CustomerPatch,
    ErrorOut,
    Filters,
    HealthOut,
    IsoDateTime,
    Limit,
    LinkId,
    Offset,
    Since,
)
from buzeta.operations.health import health_check
from customers.models import DISPLAY_NAME_TAKEN_CODE, NO_ACCOUNT_NAME_CODE, Customer
from customers.selectors import customer_by_link, customer_or_404
from customers.services import customer_create, customer_delete, customer_replace, customer_update
from history.selectors import eta_changes_for_customer
from lib.http import error_body
from orders.filters import FilterError, ReportFilters
from reports.exports import export_response
from reports.jobs import job_start_or_join
from reports.models import ReportJob
from reports.report import ReportUnavailable, report_as_data, report_meta
from reports.selectors import job_by_id
from reports.services import job_status, report_for_export
from statuses.models import StatusMapping
from statuses.services import statuses_refresh

CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT",
    429: "RATE_LIMITED",
    502: "UPSTREAM_ERROR",
    503: "UNAVAILABLE",
    504: "UPSTREAM_TIMEOUT",
}


api = NinjaAPI(
    title="BuzETA API",
    version="1",
    description="Open orders, ETAs and production status for BuzETA's customers.",
    urls_namespace="api",
    auth=KeyAuth(),
    docs_url=None,
)
# Customers, their links and status refreshes: keys of scope `manage` only.
MANAGE = KeyAuth(manage=True)


def error(request: HttpRequest, status: int, message: str, **extra) -> HttpResponse:
    return api.create_response(request, error_body(message, CODES.get(status, "ERROR"), **extra), status=status)


@api.exception_handler(AuthenticationError)
def _unauthorised(request, exc):
    return error(request, 401, "Missing or invalid API key (send it as X-API-Key).")


@api.exception_handler(Revoked)
def _revoked(request, exc):
    return error(request, 403, "This API key has been revoked.")


@api.exception_handler(OutOfScope)
def _out_of_scope(request, exc):
    return error(request, 403, "This API key may only read; customers and their links need a key of scope manage.")


@api.exception_handler(Ratelimited)
def _rate_limited(request, exc):
    return error(request, 429, "Too many requests for this key; slow down.")


@api.exception_handler(RequestInvalid)
def _invalid(request, exc):
    fields = {}
    for item in exc.errors:
        location = [str(part) for part in item.get("loc", []) if part not in ("body", "payload", "query", "path")]
        fields[".".join(location) or "body"] = item.get("msg", "invalid")
    return error(request, 400, "The request is not valid.", fields=fields)


@api.exception_handler(RequestDataTooBig)
def _too_big(request, exc):
    return error(request, 400, "The request body is larger than 1 MB.")


@api.exception_handler(ValidationError)
def _model_invalid(request, exc):
    fields = {key: " ".join(messages) for key, messages in exc.message_dict.items()}
    if _codes(exc) == {DISPLAY_NAME_TAKEN_CODE}:
        # Well-formed input that another customer's name refuses.
        return error(request, 409, "Another customer has this name.", fields=fields)
    return error(request, 400, "The request is not valid.", fields=fields)


def _codes(exc: ValidationError) -> set[str | None]:
    return {e.code for errors in getattr(exc, "error_dict", {}).values() for e in errors}


@api.exception_handler(Http404)
def _not_found(request, exc):
    return error(request, 404, str(exc) or "Not found.")


@api.exception_handler(HttpError)
def _http_error(request, exc):
    # ninja raises HttpError(400, "Cannot parse request body") for malformed JSON.
    return error(request, exc.status_code, str(exc))


@api.exception_handler(ReportUnavailable)
def _upstream(request, exc):
    response = error(request, exc.http_status, exc.message)
    if exc.retry_after:
        response["Retry-After"] = str(exc.retry_after)
    return response


def customer_data(customer: Customer) -> dict:
    return {
        "obfuscated_id": customer.obfuscated_id,
        "display_name": customer.display_name,
        "dd_name": customer.dd_name,
        "cbr_name": customer.cbr_name,
        "field_type": customer.field_type,
        "report_url": customer.get_absolute_url(),
        "last_viewed_at": customer.last_viewed_at.isoformat() if customer.last_viewed_at else None,
        "view_count": customer.view_count,
    }


def _actor(request: HttpRequest) -> Actor:
    return Actor.for_api_key(request.auth.name)


def _customer(obfuscated_id: str) -> Customer:
    return customer_or_404(obfuscated_id, message="No Customer matches the given query.")  # the API's words since v1


def envelope(data, **meta) -> dict:
    return {"data": data, "meta": meta}


def _filters(query: Filters) -> ReportFilters:
    try:
        values = query.model_dump()
        return ReportFilters.parse({**values, "q": [values["q"]], "changed": ["recent"] if values["changed"] else []})
    except FilterError as exc:
        raise HttpError(400, str(exc)) from exc


def _since(raw: str | None) -> datetime | None:
    """An ISO 8601 date-time, in UTC (PostgreSQL refuses offsets past ±15:59, which ISO 8601 allows)."""
    if raw is None:
        return None
    try:
        moment = parse_datetime(raw.strip())
        if moment is None:
            raise ValueError
        return (timezone.make_aware(moment) if moment.tzinfo is None else moment).astimezone(UTC)
    except (OverflowError, ValueError):
        raise HttpError(400, "'since' must be an ISO 8601 date-time, e.g. 2026-12-01T09:00:00+11:00.") from None


# Job statuses as the old app's integrations read them: a finished job is "completed".
API_JOB_STATUSES = {ReportJob.DONE: "completed"}


# --- endpoints ------------------------------------------------------------------------------------------


@api.get("/health", auth=None, tags=["health"], response={200: HealthOut, 503: HealthOut})
def health(request):
    """Whether the service can work: the database reads and writes, and the data directory has room."""
    state = health_check()
    body = {
        "status": "ok" if state.ok else "unavailable",
        "db": state.db,
        "db_write": state.db_write,
        "disk": state.disk,
        "time": timezone.now().isoformat(),
    }
    return api.create_response(request, body, status=200 if state.ok else 503)


@api.get("/customers", auth=MANAGE, tags=["customers"], response={200: dict, AUTHED: ErrorOut})
def customers_list(request, limit: int = Limit, offset: int = Offset):
    customers = Customer.objects.order_by("display_name")
    page = [customer_data(c) for c in customers[offset : offset + limit]]
    return envelope(page, count=customers.count(), limit=limit, offset=offset)


@api.post("/customers", auth=MANAGE, tags=["customers"], response={201: dict, AUTHED: ErrorOut, 409: ErrorOut})
def customers_create(request, payload: CustomerNew):
    if payload.obfuscated_id and customer_by_link(payload.obfuscated_id):
        raise HttpError(409, "A customer with this obfuscated_id already exists.")
    return Status(201, envelope(customer_data(customer_create(actor=_actor(request), **payload.model_dump()))))


@api.get("/customers/{obfuscated_id}", auth=MANAGE, tags=["customers"], response={200: dict, **ERRORS})
def customers_get(request, obfuscated_id: str = LinkId):
    return envelope(customer_data(_customer(obfuscated_id)))


@api.put("/customers/{obfuscated_id}", auth=MANAGE, tags=["customers"], response={200: dict, **CUSTOMER_ERRORS})
def customers_replace(request, payload: CustomerIn, obfuscated_id: str = LinkId):
    """Every field at once, as the old app's PUT: what is left out takes its default. The link is kept."""
    customer = _customer(obfuscated_id)
    return envelope(customer_data(customer_replace(customer=customer, actor=_actor(request), **payload.model_dump())))


@api.patch("/customers/{obfuscated_id}", auth=MANAGE, tags=["customers"], response={200: dict, **CUSTOMER_ERRORS})
def customers_update(request, payload: CustomerPatch, obfuscated_id: str = LinkId):
    customer = _customer(obfuscated_id)
    changes = payload.model_dump(exclude_unset=True, exclude_none=True)
    try:
        return envelope(customer_data(customer_update(customer=customer, actor=_actor(request), **changes)))
    except ValidationError as exc:
        if NO_ACCOUNT_NAME_CODE in _codes(exc):
            # Blanking the one name the stored customer has: the change is fine, the stored row refuses it.
            fields = {key: " ".join(messages) for key, messages in exc.message_dict.items()}
            return error(request, 409, "A customer must keep a DD name or a CBR name.", fields=fields)
        raise


@api.delete("/customers/{obfuscated_id}", auth=MANAGE, tags=["customers"], response={204: None, **ERRORS})
def customers_delete(request, obfuscated_id: str = LinkId):
    customer_delete(customer=_customer(obfuscated_id), actor=_actor(request))
    return Status(204, None)


@api.get("/reports/{obfuscated_id}", tags=["reports"], response={200: dict, **REPORT_ERRORS})
def reports_get(request, query: Query[Filters], obfuscated_id: str = LinkId):
    customer = _customer(obfuscated_id)
    report = report_for_export(customer=customer, filters=_filters(query))
    return {"data": report_as_data(report), "meta": report_meta(report)}


@api.get("/customers/{obfuscated_id}/eta-changes", tags=["reports"], response={200: dict, **QUERY_ERRORS})
def customers_eta_changes(
    request, obfuscated_id: str = LinkId, since: IsoDateTime | None = Since, limit: int = Limit, offset: int = Offset
):
    """Every change of the customer's orders' expected dates, newest first: from, to and days (later > 0)."""
    changes = eta_changes_for_customer(_customer(obfuscated_id), since=_since(since))
    page = [
        {
            "instance": change.order.instance,
            "ref_no": change.order.ref_no,
            "from": change.from_eta.isoformat(),
            "to": change.to_eta.isoformat(),
            "days": change.days,
            "detected_at": change.detected_at.isoformat(),
        }
        for change in changes[offset : offset + limit]
    ]
    return envelope(page, count=changes.count(), limit=limit, offset=offset)


@api.post("/reports/{obfuscated_id}/generate", tags=["reports"], response={202: dict, **ERRORS})
def reports_generate(request, obfuscated_id: str = LinkId):
    job = job_start_or_join(customer=_customer(obfuscated_id))
    return Status(
        202, envelope({"job_id": str(job.pk)}, status=job.status, status_url=reverse("api:jobs_get", args=[job.pk]))
    )


@api.get("/jobs/{job_id}", tags=["reports"], response={200: dict, **ERRORS})
def jobs_get(request, job_id: str):
    """The job's progress. Also in the old app's words: `job_id`, `done` (finished, either way) and
    `status` "completed" for a finished report ("queued", "running" or "failed" otherwise)."""
    job = job_by_id(job_id)
    if job is None:
        raise Http404("No such job.")
    state = job_status(job)
    status = API_JOB_STATUSES.get(state["status"], state["status"])
    return envelope({**state, "job_id": str(job.pk), "status": status, "done": not job.is_live})


@api.get("/reports/{obfuscated_id}/download", tags=["reports"], response={200: None, **REPORT_ERRORS})
def reports_download(
    request, query: Query[Filters], obfuscated_id: str = LinkId, format: Literal["csv", "xlsx"] = "csv"
):
    customer = _customer(obfuscated_id)
    report = report_for_export(customer=customer, filters=_filters(query))
    return export_response(request, format, report, customer=customer)


@api.get("/statuses", tags=["statuses"], response={200: dict, AUTHED: ErrorOut})
def statuses_list(request):
    rows = StatusMapping.objects.values("odata_status", "custom_status", "active")
    return envelope(list(rows), count=len(rows))


@api.post("/statuses/refresh", auth=MANAGE, tags=["statuses"], response={200: dict, AUTHED: ErrorOut})
def statuses_refresh_now(request):
    result = statuses_refresh(actor=_actor(request))
    return envelope({"added": result.added, "seen": result.seen, "failed": result.failed})
