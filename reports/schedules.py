"""The reports app's recurring work: purging old report jobs, and kept exports every hour."""

from __future__ import annotations

from datetime import time

from lib.schedules import daily_schedule_upsert, minutes_schedule_upsert

PURGE_JOBS_SCHEDULE = "purge-jobs"
PURGE_JOBS_AT = time(3, 15)  # business time, well away from the prewarm and the blackout
PURGE_JOBS_DAYS = 30
PURGE_EXPORTS_SCHEDULE = "purge-exports"


def schedules_sync(**_kwargs) -> None:
    daily_schedule_upsert(
        name=PURGE_JOBS_SCHEDULE,
        func="reports.tasks.purge_jobs_task",
        at=PURGE_JOBS_AT,
        kwargs=f"days={PURGE_JOBS_DAYS}",
    )
    minutes_schedule_upsert(name=PURGE_EXPORTS_SCHEDULE, func="reports.tasks.purge_exports_task", minutes=60)
