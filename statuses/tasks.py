"""django-q2 entry points: thin wrappers over services."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from audit.services import Actor
from statuses.services import statuses_refresh_in_background


def refresh_statuses_task(user_id: int) -> str:
    user = get_user_model().objects.filter(pk=user_id).first()
    actor = Actor.for_user(user) if user else Actor.for_command("refresh_statuses")
    result = statuses_refresh_in_background(actor=actor)
    return f"{result.seen} seen, {len(result.added)} added"
