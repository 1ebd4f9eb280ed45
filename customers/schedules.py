"""The customers app's recurring work: the daily prewarm before the blackout, and a refresh
every BUZ_REFRESH_MINUTES so ETA history (and the alerts built on it) sees moves without
waiting for a visitor. Both run the same prewarm service under the normal fetch policy."""

from __future__ import annotations

from django.conf import settings

from lib.schedules import daily_schedule_upsert, minutes_schedule_upsert

PREWARM_SCHEDULE = "prewarm-cache"
REFRESH_SCHEDULE = "refresh-cache"


def schedules_sync(**_kwargs) -> None:
    daily_schedule_upsert(name=PREWARM_SCHEDULE, func="customers.tasks.prewarm_cache_task", at=settings.BUZ_PREWARM_AT)
    minutes_schedule_upsert(
        name=REFRESH_SCHEDULE, func="customers.tasks.refresh_cache_task", minutes=settings.BUZ_REFRESH_MINUTES
    )
