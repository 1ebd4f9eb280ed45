"""What the API accepts and answers, as django-ninja schemas: the OpenAPI document is built from these,
so each rule the server applies to input is written here too, where clients (and the fuzzer) read it."""

from __future__ import annotations

from typing import Annotated, Literal

from ninja import Path, Query, Schema
from pydantic import ConfigDict, Field, WithJsonSchema, model_validator

from customers.links import LINK_ID_CHOSEN_PATTERN, LINK_ID_PATTERN
from customers.models import PLAIN_TEXT_PATTERN, Customer, has_account_name
from orders.filters import MAX_FILTER_LENGTH, MAX_FILTER_VALUES

# The model's rule (no control characters), and a name must hold something besides spaces
# (names are stored stripped).
PLAIN_TEXT = PLAIN_TEXT_PATTERN
NAME_TEXT = r"^[^\x00-\x1f\x7f]*[^\s\x00-\x1f\x7f][^\x00-\x1f\x7f]*$"
BLANK = r"^\s*$"
MAX_OFFSET = 1_000_000

Name = Field(min_length=1, max_length=200, pattern=NAME_TEXT)
AccountName = Field(default="", max_length=200, pattern=PLAIN_TEXT)
FilterValue = Annotated[str, Field(max_length=MAX_FILTER_LENGTH, pattern=PLAIN_TEXT)]
LinkId = Path(..., pattern=f"^{LINK_ID_PATTERN}$", description="The secret id in the customer's link.")
# Read by the view (django's parse_datetime): pydantic's datetime would also take a number ("0.5") as a time.
IsoDateTime = Annotated[str, WithJsonSchema({"type": "string", "format": "date-time"})]
Since = Query(
    None, description="Only changes detected at or after this ISO 8601 date-time (e.g. 2026-12-01T09:00:00+11:00)."
)
Limit = Query(100, ge=1, le=500)
Offset = Query(0, ge=0, le=MAX_OFFSET)
FieldType = Literal[Customer.CUSTOMER_NAME, Customer.CUSTOMER_GROUP]

# The rule the database also holds: a customer has a DD name, a CBR name, or both.
_HAS_AN_ACCOUNT_NAME = {
    "anyOf": [
        {"required": ["dd_name"], "properties": {"dd_name": {"pattern": NAME_TEXT}}},
        {"required": ["cbr_name"], "properties": {"cbr_name": {"pattern": NAME_TEXT}}},
    ],
    "description": (
        "A customer needs a DD name, a CBR name, or both. Without a display_name it takes its DD "
        "or CBR name (made unique)."
    ),
}
# A change may not blank both names at once (blanking the only one left is a 409: it depends on the stored row).
_NOT_BOTH_BLANK = {
    "not": {
        "required": ["dd_name", "cbr_name"],
        "properties": {"dd_name": {"pattern": BLANK}, "cbr_name": {"pattern": BLANK}},
    },
    "description": "Only the fields given change. A customer must keep a DD name or a CBR name (else 409).",
}


def _blank(value: str | None) -> bool:
    return value is not None and not value.strip()


class CustomerIn(Schema):
    """A new customer (POST), or every field of one (PUT: what is left out takes its default)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_HAS_AN_ACCOUNT_NAME)
    display_name: str | None = Field(default=None, max_length=200, pattern=PLAIN_TEXT)
    dd_name: str = AccountName
    cbr_name: str = AccountName
    field_type: FieldType = Customer.CUSTOMER_NAME

    @model_validator(mode="after")
    def _has_an_account_name(self):
        if not has_account_name(self.dd_name, self.cbr_name):
            raise ValueError("A customer needs a DD name, a CBR name, or both.")
        return self


class CustomerNew(CustomerIn):
    model_config = ConfigDict(extra="forbid", json_schema_extra=_HAS_AN_ACCOUNT_NAME)
    obfuscated_id: str | None = Field(default=None, pattern=LINK_ID_CHOSEN_PATTERN)


class CustomerPatch(Schema):
    model_config = ConfigDict(extra="forbid", json_schema_extra=_NOT_BOTH_BLANK)
    display_name: str | None = Field(default=None, min_length=1, max_length=200, pattern=NAME_TEXT)
    dd_name: str | None = Field(default=None, max_length=200, pattern=PLAIN_TEXT)
    cbr_name: str | None = Field(default=None, max_length=200, pattern=PLAIN_TEXT)
    field_type: FieldType | None = None

    @model_validator(mode="after")
    def _not_both_blank(self):
        if _blank(self.dd_name) and _blank(self.cbr_name):
            raise ValueError("A customer must keep a DD name or a CBR name.")
        return self


class Filters(Schema):
    status: list[FilterValue] = Field(default=[], max_length=MAX_FILTER_VALUES)
    group: list[FilterValue] = Field(default=[], max_length=MAX_FILTER_VALUES)
    supplier: list[FilterValue] = Field(default=[], max_length=MAX_FILTER_VALUES)
    q: FilterValue = Field(default="", description="Search in order number, reference, item and room.")
    changed: bool = Field(default=False, description="Only orders whose expected date moved recently.")


class ErrorOut(Schema):
    error: str
    code: str
    fields: dict[str, str] | None = Field(default=None, description="Per-field messages, for 400 and 409.")


class HealthOut(Schema):
    status: Literal["ok", "unavailable"]
    db: bool = Field(description="The database answers.")
    db_write: bool = Field(description="The database takes a write (checked at most every 15 seconds).")
    disk: bool = Field(description="The data directory takes a write (checked at most every 15 seconds).")
    time: str


# Every error each operation can answer, declared so clients (and the OpenAPI document) know them.
# 414: a request line over 8 KB (long filters), refused in JSON before the app (buzeta.operations.gunicorn).
AUTHED = frozenset({400, 401, 403, 429, 503})
ERRORS = {AUTHED: ErrorOut, 404: ErrorOut}
CUSTOMER_ERRORS = {AUTHED: ErrorOut, 404: ErrorOut, 409: ErrorOut}
QUERY_ERRORS = {AUTHED: ErrorOut, 404: ErrorOut, 414: ErrorOut}
REPORT_ERRORS = {AUTHED: ErrorOut, 404: ErrorOut, 414: ErrorOut, frozenset({502, 504}): ErrorOut}
