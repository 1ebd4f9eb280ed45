"""The customers app's recurring work: the daily prewarm before the blackout."""

from __future__ import annotations

from django.conf import settings

from odata.schedules import daily_schedule_upsert

PREWARM_SCHEDULE = "prewarm-cache"


def schedules_sync(**_kwargs) -> None:
    daily_schedule_upsert(name=PREWARM_SCHEDULE, func="customers.tasks.prewarm_cache_task", at=settings.BUZ_PREWARM_AT)
