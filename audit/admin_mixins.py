"""The audit trail of the admin: a mixin the admin site puts on every ModelAdmin it registers."""

from django.core.exceptions import PermissionDenied
from django.db import transaction

from audit.models import AuditEvent
from audit.services import Actor, audit_record, changes_between_states, object_state

# Who may read the admin's per-object change history (Django's LogEntry): role `admin`.
HISTORY_PERMISSION = "admin.view_logentry"


class AuditedAdmin:
    """Every change made through this admin goes on the audit trail, in the transaction that makes it.

    Mixed into every ModelAdmin the site registers (buzeta.admin_site), ours and other apps'
    (users, groups, schedules, cache entries…). It records from the admin's own hooks: the state
    read when a change form opens, then `log_addition`/`log_change` once the object and its
    relations are saved, and deletions as they happen. An admin whose saving or deleting already
    goes through a service that records it says so: `audited_by_services = ("save", "delete")`.
    """

    def _recorded_by_service(self, what: str) -> bool:
        # Read from the admin class itself: this mixin comes first in the class the site builds.
        return what in getattr(self, "audited_by_services", ())

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is not None:
            obj._audit_before = object_state(obj)
        return obj

    def log_addition(self, request, obj, message):
        entry = super().log_addition(request, obj, message)
        if not self._recorded_by_service("save"):
            audit_record(
                actor=Actor.for_user(request.user),
                action=AuditEvent.Action.CREATED,
                obj=obj,
                changes=changes_between_states({}, object_state(obj)),
            )
        return entry

    def log_change(self, request, obj, message):
        entry = super().log_change(request, obj, message)
        if not self._recorded_by_service("save"):
            # A list's inline edit reads its objects without get_object: the fields it says it changed.
            before = getattr(obj, "_audit_before", None)
            after = object_state(obj)
            changes = changes_between_states(before, after) if before is not None else {}
            if before is not None and not changes:
                return entry  # saved without a change
            audit_record(
                actor=Actor.for_user(request.user),
                action=AuditEvent.Action.CHANGED,
                obj=obj,
                changes=changes,
                summary="" if before is not None else _message_text(message),
            )
        return entry

    def delete_model(self, request, obj):
        if not self._recorded_by_service("delete"):
            _record_deletion(request, obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        # The admin's "delete selected" runs outside a transaction: the trail and the deletion go together.
        with transaction.atomic(using=queryset.db):
            if not self._recorded_by_service("delete"):
                for obj in queryset:
                    _record_deletion(request, obj)
            super().delete_queryset(request, queryset)

    def history_view(self, request, object_id, extra_context=None):
        if not request.user.has_perm(HISTORY_PERMISSION):
            raise PermissionDenied
        return super().history_view(request, object_id, extra_context)


def _record_deletion(request, obj) -> None:
    audit_record(
        actor=Actor.for_user(request.user),
        action=AuditEvent.Action.DELETED,
        obj=obj,
        changes=changes_between_states(object_state(obj), {}),
    )


def _message_text(message) -> str:
    """The admin's change message (a list of {"changed": {"fields": [...]}}) as a line."""
    if isinstance(message, list):
        fields = [name for item in message for name in item.get("changed", {}).get("fields", [])]
        return f"changed {', '.join(fields)}" if fields else ""
    return str(message or "")
