from __future__ import annotations

from django.conf import settings
from django.db import models


class AuditEvent(models.Model):
    """One state change: who (a staff user, an API key, a command or a schedule) did what to which object, when."""

    USER = "user"
    API_KEY = "api_key"
    COMMAND = "command"
    SCHEDULE = "schedule"
    ACTOR_KINDS = [(USER, "Staff user"), (API_KEY, "API key"), (COMMAND, "Command"), (SCHEDULE, "Schedule")]

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor_kind = models.CharField("by (kind)", max_length=20, choices=ACTOR_KINDS)
    actor_name = models.CharField("by", max_length=200, help_text="The user's e-mail, the key's name or the command.")
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=60)
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
