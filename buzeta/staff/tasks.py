"""django-q2 entry points for staff housekeeping."""

from __future__ import annotations

from importlib import import_module

from django.conf import settings
from django.contrib.sessions.models import Session
from django.utils import timezone


def clear_expired_sessions_task() -> str:
    """What `manage.py clearsessions` does, saying how many went."""
    expired = Session.objects.filter(expire_date__lt=timezone.now()).count()
    import_module(settings.SESSION_ENGINE).SessionStore.clear_expired()
    return f"cleared {expired} expired sessions"
