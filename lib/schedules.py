"""Daily django-q2 schedules on the business clock; each app declares its own and upserts it by name.

On the ground floor (lib): every app declares its schedules with it, on the same business
clock as the blackout and the pages (lib.clock).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from lib.clock import business_tz


def next_daily_run(at: time, *, tz_name: str, now: datetime | None = None) -> datetime:
    """The next time the wall clock in `tz_name` shows `at`."""
    tz = ZoneInfo(tz_name)
    local_now = (now or timezone.now()).astimezone(tz)
    candidate = datetime.combine(local_now.date(), at, tzinfo=tz)
    if candidate <= local_now:
        candidate = datetime.combine(local_now.date() + timedelta(days=1), at, tzinfo=tz)
    return candidate


def daily_schedule_upsert(*, name: str, func: str, at: time, kwargs: str = "") -> None:
    """Create the schedule, or bring its task, arguments and time of day up to date.

    Safe to run after every migrate; the scheduler's own bookkeeping (the next
    run) is left alone unless the time of day changed. `kwargs` is evaluated
    by django-q2 as `dict(<kwargs>)`.
    """
    from django_q.models import Schedule

    tz = business_tz()
    schedule, created = Schedule.objects.get_or_create(
        name=name,
        defaults={
            "func": func,
            "kwargs": kwargs,
            "schedule_type": Schedule.DAILY,
            "next_run": next_daily_run(at, tz_name=settings.BUZ_TIMEZONE),
            "repeats": -1,
        },
    )
    if created:
        return
    changed = []
    if (schedule.func, schedule.kwargs or "") != (func, kwargs):
        schedule.func, schedule.kwargs = func, kwargs
        changed += ["func", "kwargs"]
    if timezone.localtime(schedule.next_run, tz).time().replace(second=0, microsecond=0) != at:
        schedule.next_run = next_daily_run(at, tz_name=settings.BUZ_TIMEZONE)
        changed.append("next_run")
    if changed:
        schedule.save(update_fields=changed)


def minutes_schedule_upsert(*, name: str, func: str, minutes: int) -> None:
    """A schedule every `minutes` (0 removes it); upserted by name like the daily ones."""
    from django_q.models import Schedule

    if minutes <= 0:
        Schedule.objects.filter(name=name).delete()
        return
    schedule, created = Schedule.objects.get_or_create(
        name=name,
        defaults={
            "func": func,
            "schedule_type": Schedule.MINUTES,
            "minutes": minutes,
            "next_run": timezone.now(),  # once at start too: the first run records a baseline
            "repeats": -1,
        },
    )
    if not created and (schedule.func, schedule.minutes, schedule.schedule_type) != (
        func,
        minutes,
        Schedule.MINUTES,
    ):
        schedule.func, schedule.minutes, schedule.schedule_type = func, minutes, Schedule.MINUTES
        schedule.save(update_fields=["func", "minutes", "schedule_type"])
