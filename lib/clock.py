"""The business clock: BUZ_TIMEZONE, the one time zone customers, schedules and the blackout read."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone


def business_tz() -> ZoneInfo:
    return ZoneInfo(settings.BUZ_TIMEZONE)


def business_now(moment: datetime | None = None) -> datetime:
    return timezone.localtime(moment or timezone.now(), business_tz())


def business_today(moment: datetime | None = None) -> date:
    return business_now(moment).date()
