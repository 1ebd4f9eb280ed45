from __future__ import annotations

from django.conf import settings
from django.db import models


class AuditEvent(models.Model):
    """One state change: who (a staff user, an API key, a command or a schedule) did what to which object, when."""

    class ActorKind(models.TextChoices):
        USER = "user", "Staff user"
        API_KEY = "api_key", "API key"
        COMMAND = "command", "Command"
        SCHEDULE = "schedule", "Schedule"

    class Action(models.TextChoices):
        """Every action the trail records: a closed list, so the admin filters by it and no typo makes a new one."""

        CREATED = "created", "created"
        CHANGED = "changed", "changed"
        DELETED = "deleted", "deleted"
        REGENERATED_LINK = "regenerated link", "regenerated link"
        REVOKED = "revoked", "revoked"
        PREWARMED = "prewarmed", "prewarmed"
        REFRESHED_STATUSES = "refreshed statuses", "refreshed statuses"
        CLEARED_CACHE = "cleared the cache", "cleared the cache"
        PURGED_JOBS = "purged report jobs", "purged report jobs"
        PURGED_HISTORY = "purged ETA history", "purged ETA history"
        IMPORTED_HISTORY = "imported ETA history", "imported ETA history"
        ADDED_UPDATES = "added e-mail updates", "added e-mail updates"
        CHANGED_UPDATES = "changed e-mail updates", "changed e-mail updates"
        REMOVED_UPDATES = "removed e-mail updates", "removed e-mail updates"
        PAUSED_UPDATES = "paused e-mail updates", "paused e-mail updates"
        RESUMED_UPDATES = "resumed e-mail updates", "resumed e-mail updates"

    # The kinds by their old names, which the services use.
    USER, API_KEY, COMMAND, SCHEDULE = ActorKind.USER, ActorKind.API_KEY, ActorKind.COMMAND, ActorKind.SCHEDULE

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor_kind = models.CharField("kind of actor", max_length=20, choices=ActorKind.choices)
    actor_name = models.CharField("by", max_length=200, help_text="The user's e-mail, the key's name or the command.")
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=60, choices=Action.choices)
    object_type = models.CharField("object", max_length=60, blank=True)
    object_id = models.CharField(max_length=64, blank=True, db_index=True)
    object_repr = models.CharField("name", max_length=200, blank=True)
    changes = models.JSONField(default=dict, blank=True, help_text="Field: [before, after].")
    summary = models.TextField(blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["object_type", "object_id", "-at"])]

    def __str__(self) -> str:
        return f"{self.actor_name} {self.action} {self.object_type} {self.object_repr}".strip()
