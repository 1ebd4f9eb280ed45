"""The simulator's HTTP service: a small threaded server speaking OData JSON."""

from __future__ import annotations

import base64
import binascii
import json
import logging
import random
import re
import threading
import time as clock
from dataclasses import dataclass, field
from datetime import date, datetime, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, quote, urlencode, urlsplit
from zoneinfo import ZoneInfo

from odata.simulator.dataset import ACCOUNTS, Dataset, build_dataset, slip_dates
from odata.simulator.filters import FilterError, parse_filter

log = logging.getLogger(__name__)
QUOTED = re.compile(r"'((?:[^']|'')*)'")  # OData string literals, quotes doubled inside


@dataclass
class SimulatorConfig:
    username: str = "buzeta"
    password: str = "demo"  # noqa: S105 - a test double's well-known login
    latency: float = 0.0  # seconds added to every answered request
    page_size: int = 100  # rows per page before @odata.nextLink
    blackout: tuple[time, time] | None = None  # daily 503 window, local time
    timezone: str = "Australia/Sydney"
    error_rate: float = 0.0  # share of requests answered 500, for flakiness drills
    seed: int = 20261122
    today: date | None = None
    slip_every: float = 0.0  # seconds between rounds of rescheduled orders; 0: dates never move
    slip_orders: int = 3  # orders moved each round
    bulk_lines: int = 0  # open lines of the extra DD customer "Bulk Trade Customer" (big-customer tests)


@dataclass
class RequestRecord:
    account: str
    entity_set: str
    query: dict[str, str]
    status: int
    at: float = field(default_factory=clock.monotonic)


class SimulatorServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], config: SimulatorConfig) -> None:
        self.config = config
        today = config.today or datetime.now(ZoneInfo(config.timezone)).date()
        self.dataset: Dataset = build_dataset(today=today, seed=config.seed, bulk_lines=config.bulk_lines)
        # A filter's rows, kept while the table does not grow: paging a big result must not
        # re-run the filter over every row for each of its hundreds of pages.
        self._filtered: dict[tuple[str, str, str, int], list[dict[str, Any]]] = {}
        self.records: list[RequestRecord] = []  # answered requests
        self.started = 0  # requests begun (answered or not yet)
        self._records_lock = threading.Lock()
        self._random = random.Random(config.seed)
        self._started = clock.monotonic()
        self._slip_rounds = 0
        self._slip_lock = threading.Lock()
        self.asked_customers: set[str] = set()  # names in the requests' filters
        super().__init__(address, _Handler)

    def filtered(self, account: str, entity_set: str, filter_expr: str, rows: list[dict[str, Any]]) -> list[dict]:
        key = (account, entity_set, filter_expr, len(rows))
        if key not in self._filtered:
            if len(self._filtered) >= 256:  # any number of distinct filters, bounded memory
                self._filtered.clear()
            predicate = parse_filter(filter_expr)
            self._filtered[key] = [row for row in rows if predicate(row)]
        return self._filtered[key]

    def apply_due_slips(self) -> None:
        """Reschedule orders for every `slip_every` seconds since start (deterministic by round)."""
        if self.config.slip_every <= 0:
            return
        due = int((clock.monotonic() - self._started) / self.config.slip_every)
        with self._slip_lock:
            while self._slip_rounds < due:
                self._slip_rounds += 1
                moved = slip_dates(
                    self.dataset,
                    seed=self.config.seed,
                    round_no=self._slip_rounds,
                    orders=self.config.slip_orders,
                    among=frozenset(self.asked_customers),
                )
                log.info("simulator round %d rescheduled %s", self._slip_rounds, moved)

    @property
    def root_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}/reports"

    def request_started(self) -> None:
        with self._records_lock:
            self.started += 1

    def record(self, record: RequestRecord) -> None:
        with self._records_lock:
            self.records.append(record)

    def count(self, *, account: str | None = None, entity_set: str | None = None) -> int:
        with self._records_lock:
            return sum(
                1
                for r in self.records
                if (account is None or r.account == account) and (entity_set is None or r.entity_set == entity_set)
            )

    def in_blackout(self, now: datetime | None = None) -> bool:
        if not self.config.blackout:
            return False
        local = (now or datetime.now(ZoneInfo(self.config.timezone))).astimezone(ZoneInfo(self.config.timezone))
        start, end = self.config.blackout
        return start <= local.time() < end

    def flaky(self) -> bool:
        return self.config.error_rate > 0 and self._random.random() < self.config.error_rate


class _Handler(BaseHTTPRequestHandler):
    server: SimulatorServer
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle's algorithm on, a kept-alive
    # connection waits for the client's delayed ACK (~40 ms) between them.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s - %s", self.address_string(), format % args)

    def _send(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; odata.metadata=minimal")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def _error(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        self._send(status, {"error": {"code": str(status), "message": message}}, headers)

    def _authorised(self) -> bool:
        header = self.headers.get("Authorization", "")
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            user, _, password = base64.b64decode(encoded, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        return user == self.server.config.username and password == self.server.config.password

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        segments = [s for s in parts.path.split("/") if s]
        if len(segments) != 3 or segments[0] != "reports" or segments[1] not in ACCOUNTS:
            self._error(404, "Resource not found")
            return
        _, account, entity_set = segments
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}

        self.server.request_started()
        status = self._answer(account, entity_set, query)
        self.server.record(RequestRecord(account, entity_set, query, status))

    def _answer(self, account: str, entity_set: str, query: dict[str, str]) -> int:
        if not self._authorised():
            self._error(401, "Authorization has been denied", {"WWW-Authenticate": 'Basic realm="BuzManager"'})
            return 401
        if self.server.in_blackout():
            self._error(503, "The reporting service is unavailable during business hours.")
            return 503
        if self.server.config.latency:
            clock.sleep(self.server.config.latency)
        if self.server.flaky():
            self._error(500, "An error has occurred.")
            return 500
        self.server.apply_due_slips()
        rows = self.server.dataset.entity(account, entity_set)
        if rows is None:
            self._error(404, f"No entity set named '{entity_set}'")
            return 404
        try:
            body = self._page(rows, account, entity_set, query)
        except (FilterError, ValueError) as exc:
            self._error(400, f"The query specified in the URI is not valid. {exc}")
            return 400
        self._send(200, body)
        return 200

    def _page(self, rows: list[dict[str, Any]], account: str, entity_set: str, query: dict[str, str]) -> dict[str, Any]:
        if "$filter" in query:
            rows = self.server.filtered(account, entity_set, query["$filter"], rows)
            # Customers someone asks about: the demo reschedules their orders.
            self.server.asked_customers.update(
                literal.replace("''", "'") for literal in QUOTED.findall(query["$filter"])
            )
        skip = _non_negative(query, "$skip", 0)
        top = _non_negative(query, "$top", None)
        end = len(rows) if top is None else min(len(rows), skip + top)
        page_end = min(end, skip + self.server.config.page_size)
        page = rows[skip:page_end]
        if "$select" in query:
            fields = [f.strip() for f in query["$select"].split(",") if f.strip()]
            page = [{f: row.get(f) for f in fields} for row in page]
        body: dict[str, Any] = {
            "@odata.context": f"{self.server.root_url}/{account}/$metadata#{entity_set}",
            "value": page,
        }
        if page_end < end:
            next_query = {k: v for k, v in query.items() if k not in ("$skip", "$top")}
            next_query["$skip"] = str(page_end)
            if top is not None:
                next_query["$top"] = str(end - page_end)
            next_url = f"{self.server.root_url}/{account}/{entity_set}?" + urlencode(next_query, quote_via=quote)
            body["@odata.nextLink"] = next_url
        return body


def _non_negative(query: dict[str, str], name: str, default: int | None) -> int | None:
    if name not in query:
        return default
    try:
        value = int(query[name])
    except ValueError:
        raise ValueError(f"{name} must be a whole number") from None
    if value < 0:
        raise ValueError(f"{name} must not be negative")
    return value


def make_server(config: SimulatorConfig, *, host: str = "127.0.0.1", port: int = 0) -> SimulatorServer:
    return SimulatorServer((host, port), config)


def serve_in_thread(config: SimulatorConfig, *, host: str = "127.0.0.1", port: int = 0) -> SimulatorServer:
    """Start a simulator on a background thread (tests, benchmarks). Call .shutdown() to stop."""
    server = make_server(config, host=host, port=port)
    threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="buz-simulator", daemon=True
    ).start()
    return server
