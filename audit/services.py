"""Recording who changed what. Every service that changes state calls `audit_record` in its own transaction."""

from __future__ import annotations

import getpass
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import models, transaction

from audit.models import AuditEvent


@dataclass(frozen=True)
class Actor:
    """Who is acting: a staff user, an API key, an operator's command or a schedule."""

    kind: str
    name: str
    user_id: int | None = None

    @classmethod
    def for_user(cls, user: Any) -> Actor:
        return cls(AuditEvent.USER, user.email or user.get_username(), user.pk)

    @classmethod
    def for_api_key(cls, name: str) -> Actor:
        return cls(AuditEvent.API_KEY, name)

    @classmethod
    def for_command(cls, command: str) -> Actor:
        # The operating-system account says which operator ran it.
        try:
            who = getpass.getuser()
        except (KeyError, OSError):
            who = "unknown"
        return cls(AuditEvent.COMMAND, f"{command} (as {who})")

    @classmethod
    def for_schedule(cls, name: str) -> Actor:
        return cls(AuditEvent.SCHEDULE, name)


def audit_record(
    *,
    actor: Actor,
    action: AuditEvent.Action,
    obj: models.Model | None = None,
    changes: dict[str, list[Any]] | None = None,
    summary: str = "",
) -> AuditEvent:
    """Store one event; `obj` names the object changed (None for an action on many)."""
    action = AuditEvent.Action(action)  # refuses an action the trail does not know
    return AuditEvent.objects.create(
        actor_kind=actor.kind,
        actor_name=actor.name[:200],
        actor_user_id=actor.user_id,
        action=action,
        object_type=obj._meta.model_name if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=str(obj)[:200] if obj is not None else "",
        changes=changes or {},
        summary=summary,
    )


def audited_save(obj: models.Model, *, actor: Actor, recorded: Callable[[models.Model], dict[str, Any]]):
    """Validate and store a new or changed object, and record who did it and what changed (`recorded`: what
    the trail keeps of it), in one transaction. Saving it unchanged records nothing."""
    with transaction.atomic():
        stored = type(obj).objects.filter(pk=obj.pk).first() if obj.pk else None
        before = recorded(stored) if stored is not None else {}
        obj.full_clean()
        obj.save()
        changes = changes_between(before, recorded(obj))
        if stored is None or changes:
            action = AuditEvent.Action.CREATED if stored is None else AuditEvent.Action.CHANGED
            audit_record(actor=actor, action=action, obj=obj, changes=changes)
    return obj


def audited_delete(obj: models.Model, *, actor: Actor, recorded: Callable[[models.Model], dict[str, Any]]) -> None:
    """Delete an object, recording what it was, in one transaction."""
    with transaction.atomic():
        audit_record(actor=actor, action=AuditEvent.Action.DELETED, obj=obj, changes=changes_between(recorded(obj), {}))
        obj.delete()


def changes_between(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """{field: [before, after]} for the fields whose values differ (None where a side has no value)."""
    keys = [*before, *(key for key in after if key not in before)]
    return {key: [before.get(key), after.get(key)] for key in keys if before.get(key) != after.get(key)}


# Fields an audit event names as changed without their values: credentials and their hashes.
_HIDDEN_FIELD = re.compile(r"password|secret|token|key_hash|^key$", re.IGNORECASE)
HIDDEN = "(hidden)"


def object_state(obj: models.Model) -> dict[str, Any]:
    """What an audit event records of an object: its plain fields and, once saved, the names of
    its many-to-many relations (a user's groups). Bulky data (JSON, binary) is left out; credentials
    are compared but recorded as HIDDEN by `changes_between_states`."""
    state: dict[str, Any] = {}
    for field in obj._meta.concrete_fields:
        if isinstance(field, models.JSONField | models.BinaryField):
            continue
        value = field.value_from_object(obj)
        state[field.name] = value if value is None or isinstance(value, bool | int | float | str) else str(value)
    if obj.pk is not None:
        for field in obj._meta.many_to_many:
            state[field.name] = sorted(str(related) for related in getattr(obj, field.name).all())
    return state


def changes_between_states(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """`changes_between` with credentials named but not shown."""
    changes = changes_between(before, after)
    for name in changes:
        if _HIDDEN_FIELD.search(name):
            changes[name] = [HIDDEN, HIDDEN]
    return changes
