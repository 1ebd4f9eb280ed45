"""The JSON API under /api/v1/ (interface §8). Key in X-API-Key; one envelope; JSON errors.

django-ninja builds the OpenAPI document at /api/v1/openapi.json from these
functions, so it always matches what is served.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django_ratelimit.core import get_usage, is_ratelimited
from django_ratelimit.exceptions import Ratelimited
from ninja import NinjaAPI, Path, Query, Schema, Status
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as RequestInvalid
from ninja.security import APIKeyHeader
from pydantic import ConfigDict, Field

from audit.services import Actor
from buzeta.api.keys import api_key_verify
from buzeta.models import ApiKey
from buzeta.operations.health import health_check
from customers.links import LINK_ID_CHOSEN_PATTERN, LINK_ID_PATTERN
from customers.models import Customer
from customers.selectors import customer_by_link
from customers.services import customer_create, customer_delete, customer_update
from reports.exports import export_response
from reports.filters import MAX_FILTER_VALUES, FilterError, ReportFilters
from reports.history_selectors import eta_changes_for_customer
from reports.jobs import job_start_or_join
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


class Revoked(Exception):
    pass


class KeyAuth(APIKeyHeader):
    param_name = "X-API-Key"

    def authenticate(self, request: HttpRequest, key: str | None) -> ApiKey | None:
        if not key:
            return None
        # Guessing keys: an address that sent too many wrong ones is refused before any key is checked.
        wrong_keys = {"group": "api-bad-key", "key": "ip", "rate": settings.RATELIMIT_API_BAD_KEYS}
        usage = get_usage(request, **wrong_keys)
        if usage and usage["count"] >= usage["limit"]:
            raise Ratelimited
        api_key = api_key_verify(key)
        if api_key is None:
            get_usage(request, **wrong_keys, increment=True)
            prefix = key.split("_")[1] if key.count("_") >= 2 else ""
            if prefix and ApiKey.objects.filter(prefix=prefix, revoked_at__isnull=False).exists():
                raise Revoked
            return None
        limited = is_ratelimited(
            request, group="api", key=lambda _g, _r: api_key.prefix, rate=settings.RATELIMIT_API, increment=True
        )
        if limited:
            raise Ratelimited
        return api_key


api = NinjaAPI(
    title="BuzETA API",
    version="1",
    description="Open orders, ETAs and production status for BuzETA's customers.",
    urls_namespace="api",
    auth=KeyAuth(),
    docs_url=None,
)


def error(request: HttpRequest, status: int, message: str, **extra) -> HttpResponse:
    return api.create_response(request, {"error": message, "code": CODES.get(status, "ERROR"), **extra}, status=status)


@api.exception_handler(AuthenticationError)
def _unauthorised(request, exc):
    return error(request, 401, "Missing or invalid API key (send it as X-API-Key).")


@api.exception_handler(Revoked)
def _revoked(request, exc):
    return error(request, 403, "This API key has been revoked.")


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
    return error(request, 400, "The request is not valid.", fields=fields)


@api.exception_handler(Http404)
def _not_found(request, exc):
    return error(request, 404, str(exc) or "Not found.")


@api.exception_handler(HttpError)
def _http_error(request, exc):
    # ninja raises HttpError(400, "Cannot parse request body") for malformed JSON.
    return error(request, exc.status_code, str(exc))


@api.exception_handler(ReportUnavailable)
def _upstream(request, exc):
    return error(request, exc.http_status, exc.message)


# --- schemas -----------------------------------------------------------------------------------------

# No NUL or other control characters anywhere: PostgreSQL refuses NUL in text, and none belongs in
# a name or a filter. A name must also hold something besides spaces (names are stored stripped).
_PLAIN = r"[^\x00-\x1f\x7f]"
PLAIN_TEXT = f"^{_PLAIN}*$"
NAME_TEXT = rf"^{_PLAIN}*[^\s\x00-\x1f\x7f]{_PLAIN}*$"
MAX_OFFSET = 1_000_000

Name = Field(min_length=1, max_length=200, pattern=NAME_TEXT)
AccountName = Field(default="", max_length=200, pattern=PLAIN_TEXT)
FilterValue = Annotated[str, Field(max_length=200, pattern=PLAIN_TEXT)]
LinkId = Path(..., pattern=f"^{LINK_ID_PATTERN}$", description="The secret id in the customer's link.")
SINCE = Query(None, description="Only changes detected at or after this ISO date-time.")
FieldType = Literal[Customer.CUSTOMER_NAME, Customer.CUSTOMER_GROUP]

# The rule the database also holds: a customer has a DD name, a CBR name, or both.
_HAS_AN_ACCOUNT_NAME = {
    "anyOf": [
        {"required": ["dd_name"], "properties": {"dd_name": {"pattern": NAME_TEXT}}},
        {"required": ["cbr_name"], "properties": {"cbr_name": {"pattern": NAME_TEXT}}},
    ],
    "description": "A customer needs a DD name, a CBR name, or both.",
}


class CustomerIn(Schema):
    model_config = ConfigDict(extra="forbid", json_schema_extra=_HAS_AN_ACCOUNT_NAME)
    display_name: str = Name
    dd_name: str = AccountName
    cbr_name: str = AccountName
    field_type: FieldType = Customer.CUSTOMER_NAME
    obfuscated_id: str | None = Field(default=None, pattern=LINK_ID_CHOSEN_PATTERN)


class CustomerPatch(Schema):
    model_config = ConfigDict(extra="forbid")
    display_name: str | None = Field(default=None, min_length=1, max_length=200, pattern=NAME_TEXT)
    dd_name: str | None = Field(default=None, max_length=200, pattern=PLAIN_TEXT)
    cbr_name: str | None = Field(default=None, max_length=200, pattern=PLAIN_TEXT)
    field_type: FieldType | None = None


class Filters(Schema):
    status: list[FilterValue] = Field(default=[], max_length=MAX_FILTER_VALUES)
    group: list[FilterValue] = Field(default=[], max_length=MAX_FILTER_VALUES)
    supplier: list[FilterValue] = Field(default=[], max_length=MAX_FILTER_VALUES)
    q: FilterValue = Field(default="", description="Search in order number, reference, item and room.")
    changed: bool = Field(default=False, description="Only orders whose expected date moved recently.")


class ErrorOut(Schema):
    error: str
    code: str
    fields: dict[str, str] | None = Field(default=None, description="Per-field messages, for 400.")


class HealthOut(Schema):
    status: Literal["ok", "unavailable"]
    db: bool = Field(description="The database answers.")
    db_write: bool = Field(description="The database takes a write (checked at most every 15 seconds).")
    disk: bool = Field(description="The data directory takes a write (checked at most every 15 seconds).")
    time: str


# Every error each operation can answer, declared so clients (and the OpenAPI document) know them.
_AUTHED = frozenset({400, 401, 403, 429})
ERRORS = {_AUTHED: ErrorOut, 404: ErrorOut}
# 414: the web server (gunicorn) refuses a request line over 4 KB before the app sees it; filters can make one.
REPORT_ERRORS = {_AUTHED: ErrorOut, 404: ErrorOut, frozenset({502, 503, 504}): ErrorOut, 414: None}


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
    customer = customer_by_link(obfuscated_id)
    if customer is None:
        raise Http404("No Customer matches the given query.")  # the API's words since v1
    return customer


def envelope(data, **meta) -> dict:
    return {"data": data, "meta": meta}


def _filters(query: Filters) -> ReportFilters:
    try:
        values = query.model_dump()
        return ReportFilters.parse({**values, "q": [values["q"]], "changed": ["recent"] if values["changed"] else []})
    except FilterError as exc:
        raise HttpError(400, str(exc)) from exc


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


@api.get("/customers", tags=["customers"], response={200: dict, _AUTHED: ErrorOut})
def customers_list(request, limit: int = Query(100, ge=1, le=500), offset: int = Query(0, ge=0, le=MAX_OFFSET)):
    customers = Customer.objects.order_by("display_name")
    page = [customer_data(c) for c in customers[offset : offset + limit]]
    return envelope(page, count=customers.count(), limit=limit, offset=offset)


@api.post("/customers", tags=["customers"], response={201: dict, _AUTHED: ErrorOut, 409: ErrorOut})
def customers_create(request, payload: CustomerIn):
    if payload.obfuscated_id and customer_by_link(payload.obfuscated_id):
        raise HttpError(409, "A customer with this obfuscated_id already exists.")
    return Status(201, envelope(customer_data(customer_create(actor=_actor(request), **payload.model_dump()))))


@api.get("/customers/{obfuscated_id}", tags=["customers"], response={200: dict, **ERRORS})
def customers_get(request, obfuscated_id: str = LinkId):
    return envelope(customer_data(_customer(obfuscated_id)))


@api.patch("/customers/{obfuscated_id}", tags=["customers"], response={200: dict, **ERRORS})
def customers_update(request, payload: CustomerPatch, obfuscated_id: str = LinkId):
    customer = _customer(obfuscated_id)
    changes = payload.model_dump(exclude_unset=True, exclude_none=True)
    return envelope(customer_data(customer_update(customer=customer, actor=_actor(request), **changes)))


@api.delete("/customers/{obfuscated_id}", tags=["customers"], response={204: None, **ERRORS})
def customers_delete(request, obfuscated_id: str = LinkId):
    customer_delete(customer=_customer(obfuscated_id), actor=_actor(request))
    return Status(204, None)


@api.get("/reports/{obfuscated_id}", tags=["reports"], response={200: dict, **REPORT_ERRORS})
def reports_get(request, query: Query[Filters], obfuscated_id: str = LinkId):
    customer = _customer(obfuscated_id)
    report = report_for_export(customer=customer, filters=_filters(query))
    return {"data": report_as_data(report), "meta": report_meta(report)}


@api.get("/customers/{obfuscated_id}/eta-changes", tags=["reports"], response={200: dict, **ERRORS})
def customers_eta_changes(
    request,
    obfuscated_id: str = LinkId,
    since: datetime | None = SINCE,
    limit: int = Query(100, ge=1, le=500),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
):
    """Every change of the customer's orders' expected dates, newest first: from, to and days (later > 0)."""
    if since is not None:
        try:
            # In UTC: PostgreSQL refuses offsets past ±15:59, which ISO 8601 allows (+19:56).
            since = (timezone.make_aware(since) if since.tzinfo is None else since).astimezone(UTC)
        except (OverflowError, ValueError) as exc:
            raise HttpError(400, "'since' is out of range.") from exc
    changes = eta_changes_for_customer(_customer(obfuscated_id), since=since)
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
    job = job_by_id(job_id)
    if job is None:
        raise Http404("No such job.")
    return envelope(job_status(job))


@api.get("/reports/{obfuscated_id}/download", tags=["reports"], response={200: None, **REPORT_ERRORS})
def reports_download(
    request, query: Query[Filters], obfuscated_id: str = LinkId, format: Literal["csv", "xlsx"] = "csv"
):
    customer = _customer(obfuscated_id)
    report = report_for_export(customer=customer, filters=_filters(query))
    return export_response(request, format, report, customer=customer)


@api.get("/statuses", tags=["statuses"], response={200: dict, _AUTHED: ErrorOut})
def statuses_list(request):
    rows = StatusMapping.objects.values("odata_status", "custom_status", "active")
    return envelope(list(rows), count=len(rows))


@api.post("/statuses/refresh", tags=["statuses"], response={200: dict, _AUTHED: ErrorOut})
def statuses_refresh_now(request):
    result = statuses_refresh(actor=_actor(request))
    return envelope({"added": result.added, "seen": result.seen, "failed": result.failed})
