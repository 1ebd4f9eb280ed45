"""Filling the cache for every customer before the daily blackout."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from audit.models import AuditEvent
from audit.services import Actor, audit_record
from customers.models import Customer
from odata.services import FetchResult, fetch_targets
from odata.targets import FetchTarget, cache_key


@dataclass
class PrewarmLine:
    customer: str
    results: list[FetchResult]

    @property
    def ok(self) -> bool:
        return all(r.source.is_current for r in self.results)

    def describe(self) -> str:
        parts = []
        for r in self.results:
            if r.source.is_current:
                parts.append(f"{r.target.instance} {len(r.rows)} lines ({r.source})")
            else:
                why = r.reason or (r.error.kind if r.error else "unknown")
                parts.append(f"{r.target.instance} FAILED ({why}; {'kept cached copy' if r.has_data else 'no data'})")
        return ", ".join(parts) or "no accounts"


@dataclass
class PrewarmSummary:
    lines: list[PrewarmLine] = field(default_factory=list)

    @property
    def fetches(self) -> int:
        """Distinct keys fetched: customers sharing a name share a fetch."""
        return len({cache_key(r.target) for line in self.lines for r in line.results})

    @property
    def failed(self) -> list[PrewarmLine]:
        return [line for line in self.lines if not line.ok]

    def describe(self) -> str:
        return (
            f"Prewarmed {len(self.lines)} customers: {self.fetches} fetches, "
            f"{len(self.lines) - len(self.failed)} customers ok, {len(self.failed)} failed."
        )


def cache_prewarm(
    *,
    actor: Actor,
    customers: Iterable[Customer] | None = None,
    instances: Iterable[str] | None = None,
    on_progress: Callable[[int, int, PrewarmLine], None] | None = None,
) -> PrewarmSummary:
    """Fetch every customer's data under the normal policy; each key at most once.

    Customers sharing a DD or CBR name (or group) share one fetch.
    """
    chosen = list(customers if customers is not None else Customer.objects.all())
    done: dict[str, FetchResult] = {}
    summary = PrewarmSummary()
    for index, customer in enumerate(chosen, start=1):
        targets = _targets(customer, instances)
        to_fetch = [t for t in targets if cache_key(t) not in done]
        for result in fetch_targets(to_fetch):
            done[cache_key(result.target)] = result
        line = PrewarmLine(customer.display_name, [done[cache_key(t)] for t in targets])
        summary.lines.append(line)
        if on_progress:
            on_progress(index, len(chosen), line)
    failed = "".join(f"; {line.customer}: {line.describe()}" for line in summary.failed)
    audit_record(
        actor=actor,
        action=AuditEvent.Action.PREWARMED,
        obj=chosen[0] if len(chosen) == 1 else None,
        summary=summary.describe() + failed,
    )
    return summary


def _targets(customer: Customer, instances: Iterable[str] | None) -> list[FetchTarget]:
    """The customer's fetch targets, limited to the chosen accounts (all when none are chosen)."""
    return [t for t in customer.fetch_targets if not instances or t.instance in instances]


def prewarm_plan(*, instances: Iterable[str] | None = None) -> list[tuple[str, list[FetchTarget]]]:
    """What cache_prewarm would fetch, per customer, without fetching (each key listed once)."""
    seen: set[str] = set()
    plan = []
    for customer in Customer.objects.all():
        targets = _targets(customer, instances)
        new = [t for t in targets if cache_key(t) not in seen]
        seen.update(cache_key(t) for t in new)
        plan.append((customer.display_name, new))
    return plan
