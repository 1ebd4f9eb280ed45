"""Getting customers' open order lines: one fetch policy for every caller.

Page, job, API, export and prewarm all call `cache_fetch` (or the parallel
`fetch_targets`), which decides between cached data and a live call:

1. cached data younger than BUZ_FRESH_MINUTES: served, no call;
2. inside the BUZ_BLACKOUT window with cached data: served, no call;
3. while the account cools down after a failure: cache or a message, no call.
   A 503 or 429 cools it down for BUZ_COOLDOWN_MINUTES, or for its
   Retry-After when longer (capped at BUZ_COOLDOWN_MAX_MINUTES); any other
   failure for BUZ_FAILURE_BACKOFF_SECONDS. A success ends it at once;
4. otherwise one live call, shared by everyone asking for the same key at
   the same time; on failure the cached copy with its age, else the error.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.db import connections
from django.utils import timezone

from lib.clock import business_now, business_tz
from lib.memo import WeightedMemo
from odata.client import get_client
from odata.errors import ODataError, UpstreamUnavailable, error_from_kind
from odata.leases import lease_acquire, lease_release, lease_renewer, lease_wait
from odata.models import UpstreamCache
from odata.signals import live_rows_fetched
from odata.targets import FetchTarget, cache_key
from orders.rules import open_order_count

log = logging.getLogger(__name__)


class Source(StrEnum):
    """Where a result's rows came from: the one vocabulary for pages, jobs, exports and the API."""

    LIVE = "live"  # fetched from BuzManager for this request (or by a request it waited for)
    FRESH = "fresh"  # cached less than BUZ_FRESH_MINUTES ago; no call needed
    CACHED = "cached"  # an older copy, served because upstream is unavailable
    STALE = "stale"  # an older copy while upstream may well answer: shown only with a refresh under way
    NONE = "none"  # no data: see `error`

    @property
    def is_current(self) -> bool:
        """Data as BuzManager has it now (just fetched, or recently enough)."""
        return self in (Source.LIVE, Source.FRESH)


@dataclass
class FetchResult:
    target: FetchTarget
    source: Source
    rows: list[dict[str, Any]] = field(default_factory=list)
    fetched_at: datetime | None = None
    reason: str = ""  # why cached data was served: "blackout", "cooldown" or an error kind
    error: ODataError | None = None
    needs_live: bool = False  # from cache_peek: the policy would call upstream now
    retry_at: datetime | None = None  # the account is not called again before this (cooldown)

    @property
    def has_data(self) -> bool:
        return self.source != Source.NONE

    def to_json(self) -> dict[str, Any]:
        """Plain data for keeping a job's result: a reference to the cache entry, not its rows
        (a 50,000-line copy per job would be 17 MB). `results_restore` reads them back."""
        return {
            "instance": self.target.instance,
            "name": self.target.name,
            "is_group": self.target.is_group,
            "source": str(self.source),
            "fetched_at": self.fetched_at.isoformat() if self.fetched_at else None,
            "reason": self.reason,
            "error_kind": self.error.kind if self.error else "",
            "error_detail": self.error.detail if self.error else "",
            "retry_at": self.retry_at.isoformat() if self.retry_at else None,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], rows: list[dict[str, Any]] | None = None) -> FetchResult:
        error = None
        if data.get("error_kind"):
            error = error_from_kind(data["error_kind"], data.get("error_detail", ""), instance=data["instance"])
        fetched_at, retry_at = data.get("fetched_at"), data.get("retry_at")
        return cls(
            target=FetchTarget(data["instance"], data["name"], data["is_group"]),
            source=Source(data["source"]),
            rows=rows if rows is not None else data.get("rows") or [],
            fetched_at=datetime.fromisoformat(fetched_at) if fetched_at else None,
            reason=data.get("reason", ""),
            error=error,
            retry_at=datetime.fromisoformat(retry_at) if retry_at else None,
        )


class CachedRowsGone(Exception):
    """A kept result refers to a cache entry that has since been cleared."""


def results_restore(data: list[dict[str, Any]]) -> list[FetchResult]:
    """Kept results with their rows: from the cache entry each refers to (its current copy, which
    may be newer than the job's: newer is better), or copied in results kept before references.
    Raises CachedRowsGone when an entry with the rows is gone (clear_cache)."""
    results = []
    for item in data:
        result = FetchResult.from_json(item)
        if result.has_data and "rows" not in item:
            entry = UpstreamCache.objects.filter(key=cache_key(result.target)).defer("rows").first()
            if entry is None or not entry.has_data:
                raise CachedRowsGone(cache_key(result.target))
            result.rows, result.fetched_at = _entry_rows(result.target, entry), entry.fetched_at
        results.append(result)
    return results


def in_blackout(moment: datetime | None = None) -> bool:
    """Whether `moment` falls in the daily BUZ_BLACKOUT window, business time."""
    window = settings.BUZ_BLACKOUT
    if not window:
        return False
    local = business_now(moment).time()
    start, end = window
    if start <= end:
        return start <= local < end
    return local >= start or local < end  # a window across midnight


def backoff_seconds(error: ODataError) -> float:
    """How long an account is left alone after this failure (see the module docstring)."""
    if not error.backs_off_account:
        return 0
    if isinstance(error, UpstreamUnavailable):  # 503 and 429
        asked = min(error.retry_after or 0, settings.BUZ_COOLDOWN_MAX_MINUTES * 60)
        return max(settings.BUZ_COOLDOWN_MINUTES * 60, asked)
    return settings.BUZ_FAILURE_BACKOFF_SECONDS


def account_cooldown(instance: str, moment: datetime | None = None) -> UpstreamCache | None:
    """The recorded failure that keeps this account from being called now, if any."""
    now = moment or timezone.now()
    return UpstreamCache.objects.filter(instance=instance, cooldown_until__gt=now).order_by("-cooldown_until").first()


def _tagged(rows: list[dict[str, Any]], instance: str) -> list[dict[str, Any]]:
    return [{**row, "Instance": instance} for row in rows]


# Decoded rows of cache entries, per process, by (key, fetched_at): a big customer's 50,000
# rows are read from the database and decoded once per fetch, not on every page view.
# Bounded by lines (CACHE_ROWS_MEMO_LINES); callers only read them.
_rows_memo = WeightedMemo(lambda: settings.CACHE_ROWS_MEMO_LINES)


def _entry_rows(target: FetchTarget, entry: UpstreamCache) -> list[dict[str, Any]]:
    """The entry's rows tagged with their account; `entry.rows` may be deferred (loaded on a miss)."""
    version = (entry.key, entry.fetched_at)
    if (rows := _rows_memo.get(version)) is None:
        rows = _tagged(entry.rows, target.instance)
        _rows_memo.put(version, rows, len(rows))
    return rows


def _from_entry(target: FetchTarget, entry: UpstreamCache, source: str, reason: str = "", error=None) -> FetchResult:
    return FetchResult(
        target=target,
        source=source,
        rows=_entry_rows(target, entry),
        fetched_at=entry.fetched_at,
        reason=reason,
        error=error,
    )


def _fallback(
    target: FetchTarget, entry: UpstreamCache | None, error: ODataError, reason: str, retry_at: datetime | None = None
) -> FetchResult:
    if entry is not None and entry.has_data:
        result = _from_entry(target, entry, Source.CACHED, reason=reason, error=error)
    else:
        result = FetchResult(target=target, source=Source.NONE, error=error, reason=reason)
    result.retry_at = retry_at
    return result


def cache_peek(target: FetchTarget) -> FetchResult:
    """What the policy can answer without calling upstream; `needs_live` says it would call.

    A stale copy comes back as STALE and an absent one as NONE, both with
    `needs_live` set; pages show the former while a refresh runs.
    """
    key = cache_key(target)
    now = timezone.now()
    # Without its rows: they come from the per-process copy when this version was read before.
    entry = UpstreamCache.objects.filter(key=key).defer("rows").first()
    has_data = entry is not None and entry.has_data

    fresh_for = timedelta(minutes=settings.BUZ_FRESH_MINUTES)
    if has_data and fresh_for and now - entry.fetched_at < fresh_for:
        return _from_entry(target, entry, Source.FRESH)
    if has_data and in_blackout(now):
        return _from_entry(target, entry, Source.CACHED, reason="blackout")
    if (blocker := account_cooldown(target.instance, now)) is not None:
        # What actually went wrong, so the page's words and status fit (503, 504…).
        error = error_from_kind(blocker.last_error_kind, blocker.last_error_detail, instance=target.instance)
        return _fallback(target, entry, error, reason="cooldown", retry_at=blocker.cooldown_until)
    if has_data:
        return FetchResult(target, Source.STALE, _entry_rows(target, entry), entry.fetched_at, needs_live=True)
    return FetchResult(target, Source.NONE, needs_live=True)


def cache_fetch(target: FetchTarget) -> FetchResult:
    """A target's open order lines under the fetch policy (see the module docstring)."""
    peeked = cache_peek(target)
    if not peeked.needs_live:
        return peeked
    return _fetch_single_flight(target, cache_key(target))


def _fetch_single_flight(target: FetchTarget, key: str) -> FetchResult:
    owner = uuid.uuid4().hex
    ttl = settings.FETCH_LEASE_SECONDS
    for _ in range(3):
        if lease_acquire(key, owner, ttl_seconds=ttl):
            renew = lease_renewer(key, owner, ttl_seconds=ttl, request_seconds=settings.BUZ_FETCH_BUDGET_SECONDS)
            try:
                return _fetch_live(target, key, renew=renew)
            finally:
                lease_release(key, owner)
        # Someone else is fetching this key: wait for them and share their outcome.
        waiting_since = timezone.now()
        lease_wait(key, timeout_seconds=ttl + 1)
        entry = UpstreamCache.objects.filter(key=key).first()
        if entry is not None and entry.last_attempt_at and entry.last_attempt_at >= waiting_since:
            return _outcome_of(target, entry)
        # The other fetcher died or never recorded anything: try to take the lease ourselves.
    entry = UpstreamCache.objects.filter(key=key).first()
    error = UpstreamUnavailable(f"{key}: could not get a fetch lease", instance=target.instance)
    return _fallback(target, entry, error, reason=error.kind)


def _outcome_of(target: FetchTarget, entry: UpstreamCache) -> FetchResult:
    """The result another caller's live attempt just recorded."""
    if entry.failing_since is None and entry.has_data:
        return _from_entry(target, entry, Source.LIVE)
    error = error_from_kind(entry.last_error_kind, entry.last_error_detail, instance=target.instance)
    return _fallback(target, entry, error, reason=error.kind, retry_at=entry.cooldown_until)


def _fetch_live(target: FetchTarget, key: str, *, renew: Callable[[], None]) -> FetchResult:
    try:
        client = get_client(target.instance)
        rows = client.open_order_lines(target.name, is_group=target.is_group, before_request=renew)
    except ODataError as exc:
        return _record_failure(target, key, exc)
    now = timezone.now()
    UpstreamCache.objects.update_or_create(
        key=key,
        defaults={
            "instance": target.instance,
            "target_name": target.name,
            "is_group": target.is_group,
            "rows": rows,
            "row_count": len(rows),
            "order_count": open_order_count(
                rows, instance=target.instance, tz=business_tz(), finished_statuses=settings.BUZ_FINISHED_STATUSES
            ),
            "customer_names": sorted({name.strip() for row in rows if isinstance(name := row.get("Customer"), str)}),
            "fetched_at": now,
            "last_attempt_at": now,
            "last_error_kind": "",
            "last_error_detail": "",
            "failing_since": None,
            "cooldown_until": None,
        },
    )
    # The account answered: whatever cooled it down is over.
    UpstreamCache.objects.filter(instance=target.instance, cooldown_until__isnull=False).update(cooldown_until=None)
    # Receivers (ETA history) must never break a fetch that worked: failures are logged here, once.
    for receiver, outcome in live_rows_fetched.send_robust(
        sender=FetchTarget, target=target, key=key, rows=rows, fetched_at=now
    ):
        if isinstance(outcome, Exception):
            log.error("a receiver of live rows failed: %s", getattr(receiver, "__name__", receiver), exc_info=outcome)
    return FetchResult(target=target, source=Source.LIVE, rows=_tagged(rows, target.instance), fetched_at=now)


def _record_failure(target: FetchTarget, key: str, error: ODataError) -> FetchResult:
    now = timezone.now()
    # One Sentry event per incident: only the first failure of an account's
    # run of failures is logged as an error; the rest are warnings.
    new_incident = not UpstreamCache.objects.filter(instance=target.instance, failing_since__isnull=False).exists()
    entry, _ = UpstreamCache.objects.get_or_create(
        key=key, defaults={"instance": target.instance, "target_name": target.name, "is_group": target.is_group}
    )
    changes: dict[str, Any] = {
        "last_attempt_at": now,
        "last_error_kind": error.kind,
        "last_error_detail": error.detail[:300],
        "last_error_at": now,
        "failing_since": entry.failing_since or now,
    }
    if backoff := backoff_seconds(error):
        changes["cooldown_until"] = now + timedelta(seconds=backoff)
    if isinstance(error, UpstreamUnavailable):
        changes["last_503_at"] = now
    UpstreamCache.objects.filter(pk=entry.pk).update(**changes)
    for name, value in changes.items():
        setattr(entry, name, value)

    fallback = "cached copy" if entry.has_data else "nothing cached"
    # The cache entry's id, not the customer's name: log lines reach Sentry.
    message = "BuzManager %s unavailable for cache entry %s (%s: %s); serving %s"
    args = (target.instance, entry.pk, error.kind, error.detail, fallback)
    if new_incident:
        log.error(message, *args)
    else:
        log.warning(message, *args)
    return _fallback(target, entry, error, reason=error.kind, retry_at=changes.get("cooldown_until"))


def _cache_fetch_in_thread(target: FetchTarget) -> FetchResult:
    try:
        return cache_fetch(target)
    finally:
        # Threads of our own pool get their own connections; close them here
        # or each report would leak one.
        connections.close_all()


def fetch_targets(
    targets: list[FetchTarget], *, on_done: Callable[[FetchResult], None] | None = None
) -> list[FetchResult]:
    """Every target under the fetch policy at the same time: a report costs one round trip, not two.

    `on_done` is called in the caller's thread as each target finishes (progress bars).
    """
    if len(targets) <= 1:
        results = [cache_fetch(t) for t in targets]
        for result in results:
            if on_done:
                on_done(result)
        return results
    with ThreadPoolExecutor(max_workers=len(targets), thread_name_prefix="buz-fetch") as pool:
        futures = {pool.submit(_cache_fetch_in_thread, t): i for i, t in enumerate(targets)}
        results: list[FetchResult | None] = [None] * len(targets)
        for future in as_completed(futures):
            results[futures[future]] = future.result()
            if on_done:
                on_done(future.result())
    return [r for r in results if r is not None]
