"""django-q2 entry points: thin wrappers over services."""

from __future__ import annotations

import logging

from audit.services import Actor
from customers.prewarm import cache_prewarm
from customers.schedules import PREWARM_SCHEDULE

log = logging.getLogger(__name__)


def prewarm_cache_task() -> str:
    summary = cache_prewarm(actor=Actor.for_schedule(PREWARM_SCHEDULE))
    for line in summary.failed:
        log.warning("prewarm: %s: %s", line.customer, line.describe())
    log.info("%s", summary.describe())
    return summary.describe()
