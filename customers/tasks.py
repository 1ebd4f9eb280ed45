"""django-q2 entry points: thin wrappers over services."""

from __future__ import annotations

import logging

from audit.services import Actor
from customers.prewarm import cache_prewarm
from customers.schedules import PREWARM_SCHEDULE, REFRESH_SCHEDULE

log = logging.getLogger(__name__)


def prewarm_cache_task(schedule: str = PREWARM_SCHEDULE) -> str:
    summary = cache_prewarm(actor=Actor.for_schedule(schedule))
    for line in summary.failed:
        log.warning("prewarm: %s: %s", line.customer, line.describe())
    log.info("%s", summary.describe())
    return summary.describe()


def refresh_cache_task() -> str:
    """The periodic refresh: the prewarm again (fresh and blacked-out keys cost no call)."""
    return prewarm_cache_task(REFRESH_SCHEDULE)
