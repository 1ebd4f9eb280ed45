"""Notifications' recurring work: one schedule every BUZ_NOTIFY_MINUTES sends alerts, retries,
and the weekly digest once BUZ_DIGEST_AT has come (a missed Monday run is caught up by the next)."""

from __future__ import annotations

from django.conf import settings

from lib.schedules import minutes_schedule_upsert

NOTIFY_SCHEDULE = "send-notifications"


def schedules_sync(**_kwargs) -> None:
    minutes = settings.BUZ_NOTIFY_MINUTES if settings.NOTIFICATIONS_ENABLED else 0
    minutes_schedule_upsert(name=NOTIFY_SCHEDULE, func="notifications.tasks.send_notifications_task", minutes=minutes)
