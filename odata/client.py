"""HTTP client for BuzManager's read-only OData reporting API (what it answers: odata/simulator/dataset.py)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote, urlencode, urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ProtocolError, ReadTimeoutError
from urllib3.util.retry import Retry

from odata.errors import (
    ODataError,
    QueryTooLong,
    UpstreamAuthError,
    UpstreamBadResponse,
    UpstreamConnectionError,
    UpstreamHTTPError,
    UpstreamRateLimited,
    UpstreamTimeout,
    UpstreamUnavailable,
)

log = logging.getLogger(__name__)

# BuzManager sits behind proxies that reject longer request lines.
MAX_URL_LENGTH = 2000
# Guards against a server whose nextLink never ends: a bound on rows, which real data
# approaches only by growing (a page count is exceeded by any big account on small pages),
# and on pages in a row that bring no rows at all.
MAX_ROWS = 2_000_000
MAX_EMPTY_PAGES = 20

OPEN_ORDERS_FILTER = "OrderStatus eq 'Work in Progress' and ProductionStatus ne null"

# The only fields of an order line the product uses. Everything else
# (costs, margins, PkId, notes, barcodes…) is dropped as it arrives.
LINE_FIELDS = (
    "RefNo",
    "Descn",
    "DateScheduled",
    "ProductionLine",
    "InventoryItem",
    "ProductionStatus",
    "FixedLine",
    "OrderStatus",
    "Customer",
    "Qty",
    "Location",
)


def odata_quote(value: str) -> str:
    """An OData string literal: single quotes, with inner quotes doubled."""
    return "'" + str(value).replace("'", "''") + "'"


def _query_string(params: dict[str, str]) -> str:
    # %20 rather than '+' for spaces: '+' is not a space to every OData server.
    return urlencode(params, quote_via=quote, safe="$'(),")


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header: a number of seconds or an HTTP date (RFC 9110 §10.2.3)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:  # an HTTP date is always GMT
        return None
    return max(0.0, moment.timestamp() - time.time())


def keep_line_fields(row: dict[str, Any], fields: tuple[str, ...] = LINE_FIELDS) -> dict[str, Any]:
    return {field: row[field] for field in fields if field in row}


class BuzClient:
    """One BuzManager account. Thread-safe for GETs; one Session per account."""

    def __init__(
        self,
        instance: str,
        base_url: str,
        *,
        username: str = "",
        password: str = "",
        connect_timeout: float = 5.0,
        read_timeout: float = 20.0,
        max_url_length: int = MAX_URL_LENGTH,
        connect_retries: int = 2,
        extra_fields: tuple[str, ...] = (),
    ) -> None:
        self.instance = instance
        self.line_fields = LINE_FIELDS + tuple(f for f in extra_fields if f not in LINE_FIELDS)
        self.base_url = base_url.rstrip("/")
        self.timeout = (connect_timeout, read_timeout)
        self.max_url_length = max_url_length
        self.session = requests.Session()
        if username or password:
            self.session.auth = (username, password)
        self.session.headers.update({"Accept": "application/json", "User-Agent": "BuzETA"})
        # Retry only failures to connect: the request never reached the
        # server, so trying again is safe and cheap. Everything else comes
        # straight back to _get_json to be classified: urllib3 must neither
        # retry nor wrap a read timeout (read=False re-raises it as it is),
        # nor act on a 503's Retry-After (it would raise RetryError, which
        # looks like a failure to connect); the cooldown honours that header.
        retry = Retry(
            total=connect_retries,
            connect=connect_retries,
            read=False,
            status=0,
            other=0,
            redirect=False,
            backoff_factor=0.2,
            allowed_methods=frozenset({"GET"}),
            respect_retry_after_header=False,
            raise_on_status=False,
            raise_on_redirect=False,
        )
        adapter = HTTPAdapter(max_retries=retry, pool_maxsize=10)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    # --- URLs -----------------------------------------------------------------

    def url(self, entity_set: str, filter_expr: str | None = None, select: str | None = None) -> str:
        url = f"{self.base_url}/{entity_set}"
        params = {"$filter": filter_expr, "$select": select}
        if filter_expr or select:
            url += "?" + _query_string({k: v for k, v in params.items() if v})
        return url

    def batched_in_filters(
        self, entity_set: str, base_filter: str, field: str, values: Sequence[str], *, select: str | None = None
    ) -> Iterator[str]:
        """`base and field in (...)` filters whose URLs (with `select`) stay within max_url_length."""

        def build(batch: list[str]) -> str:
            return f"{base_filter} and {field} in ({','.join(odata_quote(v) for v in batch)})"

        batch: list[str] = []
        for value in values:
            candidate = [*batch, value]
            if len(self.url(entity_set, build(candidate), select)) <= self.max_url_length:
                batch = candidate
                continue
            if not batch:
                raise QueryTooLong(
                    f"{field} value of {len(value)} characters does not fit in one URL",
                    instance=self.instance,
                )
            yield build(batch)
            batch = [value]
        if batch:
            yield build(batch)

    # --- HTTP -------------------------------------------------------------------

    def _get_json(self, url: str, entity_set: str) -> dict[str, Any]:
        response = self._get(url, entity_set)
        self._raise_for_status(response, entity_set)
        where = f"{self.instance} {entity_set}"
        try:
            payload = response.json()
        except ValueError as exc:
            kind = response.headers.get("Content-Type", "?").split(";")[0]
            raise UpstreamBadResponse(
                f"{where}: body is not JSON ({kind}, {len(response.content)} bytes)", instance=self.instance
            ) from exc
        if not isinstance(payload, dict) or not isinstance(payload.get("value"), list):
            raise UpstreamBadResponse(f"{where}: JSON without a 'value' list", instance=self.instance)
        if not all(isinstance(row, dict) for row in payload["value"]):
            raise UpstreamBadResponse(f"{where}: 'value' holds something other than objects", instance=self.instance)
        next_link = payload.get("@odata.nextLink")
        if next_link is not None and not isinstance(next_link, str):
            raise UpstreamBadResponse(f"{where}: '@odata.nextLink' is not a string", instance=self.instance)
        return payload

    def _get(self, url: str, entity_set: str) -> requests.Response:
        """One GET, with every way of not getting an answer named for what it was."""
        where = f"{self.instance} {entity_set}"
        connect, read = self.timeout
        try:
            return self.session.get(url, timeout=self.timeout, allow_redirects=False)
        except requests.ConnectTimeout as exc:
            raise UpstreamConnectionError(
                f"{where}: no connection within {connect:g}s", instance=self.instance
            ) from exc
        except requests.ReadTimeout as exc:
            raise UpstreamTimeout(f"{where}: no answer within {read:g}s", instance=self.instance) from exc
        except requests.exceptions.ChunkedEncodingError as exc:
            raise UpstreamConnectionError(f"{where}: connection dropped mid-answer", instance=self.instance) from exc
        except requests.ConnectionError as exc:
            cause = exc.args[0] if exc.args else None
            # requests reports a read timeout while reading the body as a ConnectionError.
            if isinstance(cause, ReadTimeoutError):
                raise UpstreamTimeout(f"{where}: answer stalled for {read:g}s", instance=self.instance) from exc
            if isinstance(cause, ProtocolError):  # connected, then the server hung up or reset
                raise UpstreamConnectionError(
                    f"{where}: connection dropped before an answer", instance=self.instance
                ) from exc
            raise UpstreamConnectionError(
                f"{where}: could not connect ({_root_cause(exc)})", instance=self.instance
            ) from exc
        except requests.RequestException as exc:
            raise UpstreamConnectionError(
                f"{where}: request failed ({_root_cause(exc)})", instance=self.instance
            ) from exc

    def _raise_for_status(self, response: requests.Response, entity_set: str) -> None:
        where = f"{self.instance} {entity_set}"
        status = response.status_code
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        args = {"instance": self.instance, "status_code": status, "retry_after": retry_after}
        said = f" (Retry-After {retry_after:.0f}s)" if retry_after is not None else ""
        if status == 503:
            raise UpstreamUnavailable(f"{where}: 503 Service Unavailable{said}", **args)
        if status == 429:
            raise UpstreamRateLimited(f"{where}: 429 Too Many Requests{said}", **args)
        if status in (401, 403):
            raise UpstreamAuthError(f"{where}: HTTP {status}: check the account's credentials", **args)
        if status >= 400:
            raise UpstreamHTTPError(f"{where}: HTTP {status}", **args)
        if 300 <= status < 400:
            # Nearly always a session that expired into a login page. The path only: no query strings in logs.
            target = urlsplit(response.headers.get("Location", "")).path or "?"
            raise UpstreamBadResponse(f"{where}: redirected (HTTP {status}) to {target}", **args)
        if status != 200:
            raise UpstreamBadResponse(f"{where}: unexpected HTTP {status}", **args)

    def get_all(
        self,
        entity_set: str,
        filter_expr: str | None = None,
        *,
        select: str | None = None,
        before_request: Callable[[], None] | None = None,
    ) -> list[dict[str, Any]]:
        """Every row of a query, following `@odata.nextLink` to the end.

        `before_request` runs before each HTTP request (the fetch policy renews its lease there).
        """
        url: str | None = self.url(entity_set, filter_expr, select)
        seen: set[str] = set()
        rows: list[dict[str, Any]] = []
        empty_pages = 0
        while url:
            if url in seen or len(rows) > MAX_ROWS or empty_pages > MAX_EMPTY_PAGES:
                raise UpstreamBadResponse(
                    f"{self.instance} {entity_set}: paging did not end after {len(seen)} pages ({len(rows)} rows)",
                    instance=self.instance,
                )
            seen.add(url)
            if before_request:
                before_request()
            payload = self._get_json(url, entity_set)
            rows.extend(payload["value"])
            empty_pages = 0 if payload["value"] else empty_pages + 1
            next_link = payload.get("@odata.nextLink")
            url = urljoin(url, next_link) if next_link else None
        return rows

    # --- Queries the product makes ------------------------------------------------

    def group_members(self, group: str, *, before_request: Callable[[], None] | None = None) -> list[str]:
        # SalesReport spells it Order_Status, with an underscore.
        filter_expr = f"CustomerGroup eq {odata_quote(group)} and Order_Status eq 'Work in Progress'"
        rows = self.get_all("SalesReport", filter_expr, before_request=before_request)
        return sorted({str(row["Customer"]).strip() for row in rows if row.get("Customer")})

    def open_order_lines(
        self, name: str, *, is_group: bool = False, before_request: Callable[[], None] | None = None
    ) -> list[dict[str, Any]]:
        """Open order lines of one customer, or of every member of a customer group.

        Only the fields the product uses are asked for (`$select`): less to carry, less to leak.
        """
        select = ",".join(self.line_fields)
        if not is_group:
            filters: Iterator[str] | list[str] = [f"{OPEN_ORDERS_FILTER} and Customer eq {odata_quote(name)}"]
        else:
            members = self.group_members(name, before_request=before_request)
            if not members:
                return []
            filters = self.batched_in_filters(
                "JobsScheduleDetailed", OPEN_ORDERS_FILTER, "Customer", members, select=select
            )
        rows: list[dict[str, Any]] = []
        for filter_expr in filters:
            page = self.get_all("JobsScheduleDetailed", filter_expr, select=select, before_request=before_request)
            rows.extend(keep_line_fields(row, self.line_fields) for row in page)
        return rows

    def open_statuses(self) -> set[str]:
        """Every production status on an open order line in this account."""
        rows = self.get_all("JobsScheduleDetailed", OPEN_ORDERS_FILTER, select="ProductionStatus")
        return {str(row["ProductionStatus"]).strip() for row in rows if row.get("ProductionStatus")}

    def lookup(self, entity_set: str, ref_no: str) -> list[dict[str, Any]]:
        """All rows of one order in an entity set, for staff lookups."""
        return self.get_all(entity_set, f"RefNo eq {odata_quote(ref_no)}")


def _root_cause(exc: BaseException) -> str:
    """The innermost exception's class name: ConnectionRefusedError, NameResolutionError…"""
    reason = getattr(exc.args[0], "reason", None) if exc.args else None  # urllib3's MaxRetryError
    seen: BaseException = reason if isinstance(reason, BaseException) else exc
    while (inner := seen.__cause__ or seen.__context__) is not None:
        seen = inner
    return type(seen).__name__


_clients: dict[tuple, BuzClient] = {}
_clients_lock = threading.Lock()


def get_client(instance: str) -> BuzClient:
    """The shared client of an account, built from settings (one Session each)."""
    from django.conf import settings

    try:
        account = settings.BUZ_ACCOUNTS[instance]
    except KeyError:
        raise ODataError(f"unknown BuzManager instance {instance!r}") from None
    extra_fields = tuple(settings.BUZ_EXPORT_EXTRA_COLUMNS)
    key = (
        instance,
        extra_fields,
        account["url"],
        account["username"],
        account["password"],
        settings.BUZ_CONNECT_TIMEOUT,
        settings.BUZ_READ_TIMEOUT,
    )
    with _clients_lock:
        client = _clients.get(key)
        if client is None:
            client = BuzClient(
                instance,
                account["url"],
                username=account["username"],
                password=account["password"],
                connect_timeout=settings.BUZ_CONNECT_TIMEOUT,
                read_timeout=settings.BUZ_READ_TIMEOUT,
                extra_fields=extra_fields,
            )
            _clients[key] = client
        return client
