"""The nightly clear-out, one sequence for the schedule and the command: finished report jobs older than
N days, then ETA history older than BUZ_ETA_HISTORY_DAYS."""

from __future__ import annotations

from dataclasses import dataclass

from audit.services import Actor
from history.recording import history_purge
from reports.jobs import jobs_purge


@dataclass
class Purged:
    jobs: int
    eta_changes: int
    closed_orders: int


def old_records_purge(*, actor: Actor, older_than_days: int, dry_run: bool = False) -> Purged:
    jobs = jobs_purge(actor=actor, older_than_days=older_than_days, dry_run=dry_run)
    events, orders = history_purge(actor=actor, dry_run=dry_run)
    return Purged(jobs, events, orders)
