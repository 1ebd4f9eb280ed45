"""Getting customers' open order lines from BuzManager, both accounts at once."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils import timezone

from customers.models import FetchTarget
from odata.client import get_client
from odata.errors import ODataError

log = logging.getLogger(__name__)


@dataclass
class FetchResult:
    """What one account gave for one customer: rows, or the error instead."""

    target: FetchTarget
    rows: list[dict[str, Any]] = field(default_factory=list)
    fetched_at: datetime | None = None
    error: ODataError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def fetch_open_lines(target: FetchTarget) -> FetchResult:
    """Open order lines of one target from its account, each tagged with `Instance`."""
    try:
        rows = get_client(target.instance).open_order_lines(target.name, is_group=target.is_group)
    except ODataError as exc:
        log.warning("BuzManager %s fetch failed (%s): %s", target.instance, exc.kind, exc.detail)
        return FetchResult(target=target, error=exc)
    for row in rows:
        row["Instance"] = target.instance
    return FetchResult(target=target, rows=rows, fetched_at=timezone.now())


def fetch_open_lines_parallel(targets: list[FetchTarget]) -> list[FetchResult]:
    """Every target fetched at the same time, so a report costs one round trip, not two."""
    if len(targets) <= 1:
        return [fetch_open_lines(t) for t in targets]
    with ThreadPoolExecutor(max_workers=len(targets), thread_name_prefix="buz-fetch") as pool:
        return list(pool.map(fetch_open_lines, targets))
