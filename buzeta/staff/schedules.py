"""Staff sign-in's recurring work: clearing expired sessions (Django keeps them until asked)."""

from __future__ import annotations

from datetime import time

from lib.schedules import daily_schedule_upsert

CLEAR_SESSIONS_SCHEDULE = "clear-expired-sessions"
CLEAR_SESSIONS_AT = time(3, 45)  # business time, beside the nightly job purge


def schedules_sync(**_kwargs) -> None:
    daily_schedule_upsert(
        name=CLEAR_SESSIONS_SCHEDULE, func="buzeta.staff.tasks.clear_expired_sessions_task", at=CLEAR_SESSIONS_AT
    )
