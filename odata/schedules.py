"""Every recurring django-q2 job, declared here and upserted by name after every migrate."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

PREWARM_SCHEDULE = "prewarm-cache"
PURGE_JOBS_SCHEDULE = "purge-jobs"
PURGE_JOBS_AT = time(3, 15)  # business time, well away from the prewarm and the blackout
PURGE_JOBS_DAYS = 30


def next_daily_run(at, *, tz_name: str, now: datetime | None = None) -> datetime:
    """The next time the wall clock in `tz_name` shows `at`."""
    tz = ZoneInfo(tz_name)
    local_now = (now or timezone.now()).astimezone(tz)
    candidate = datetime.combine(local_now.date(), at, tzinfo=tz)
    if candidate <= local_now:
        candidate = datetime.combine(local_now.date() + timedelta(days=1), at, tzinfo=tz)
    return candidate


def schedules_sync(**_kwargs) -> None:
    from django_q.models import Schedule

    next_run = next_daily_run(settings.BUZ_PREWARM_AT, tz_name=settings.BUZ_TIMEZONE)
    schedule, created = Schedule.objects.get_or_create(
        name=PREWARM_SCHEDULE,
        defaults={
            "func": "odata.tasks.prewarm_cache_task",
            "schedule_type": Schedule.DAILY,
            "next_run": next_run,
            "repeats": -1,
        },
    )
    # A changed BUZ_PREWARM_AT moves the next run; otherwise leave the scheduler's bookkeeping alone.
    local_next = timezone.localtime(schedule.next_run, ZoneInfo(settings.BUZ_TIMEZONE))
    if not created and local_next.time().replace(second=0, microsecond=0) != settings.BUZ_PREWARM_AT:
        schedule.next_run = next_run
        schedule.save(update_fields=["next_run"])

    Schedule.objects.get_or_create(
        name=PURGE_JOBS_SCHEDULE,
        defaults={
            "func": "reports.tasks.purge_jobs_task",
            "kwargs": f"days={PURGE_JOBS_DAYS}",  # django-q2 evaluates this as dict(days=30)
            "schedule_type": Schedule.DAILY,
            "next_run": next_daily_run(PURGE_JOBS_AT, tz_name=settings.BUZ_TIMEZONE),
            "repeats": -1,
        },
    )
