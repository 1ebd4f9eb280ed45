from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django_q.tasks import async_task

from audit.models import AuditEvent
from audit.services import Actor, audit_record, audited_delete, audited_save
from odata.client import get_client
from odata.errors import ODataError
from statuses.models import StatusMapping


@dataclass
class StatusRefresh:
    added: list[str] = field(default_factory=list)
    seen: int = 0
    failed: dict[str, str] = field(default_factory=dict)  # instance -> error kind


def _recorded_fields(mapping: StatusMapping) -> dict:
    return {"odata_status": mapping.odata_status, "custom_status": mapping.custom_status, "active": mapping.active}


def status_mapping_save(*, mapping: StatusMapping, actor: Actor) -> StatusMapping:
    """Validate and store a new or changed mapping, recording who did it and what changed."""
    return audited_save(mapping, actor=actor, recorded=_recorded_fields)


def status_mapping_delete(*, mapping: StatusMapping, actor: Actor) -> None:
    audited_delete(mapping, actor=actor, recorded=_recorded_fields)


@transaction.atomic
def statuses_refresh(*, actor: Actor, dry_run: bool = False) -> StatusRefresh:
    """Add every status seen upstream as a mapping row: inactive, its name unchanged.

    A spelling that differs only in case from a known status is not added: one mapping
    renames every spelling (see statuses.selectors)."""
    result = StatusRefresh()
    seen: set[str] = set()
    for instance in settings.BUZ_ACCOUNTS:
        try:
            seen |= get_client(instance).open_statuses()
        except ODataError as exc:
            result.failed[instance] = exc.kind
    result.seen = len(seen)
    known = {name.casefold() for name in StatusMapping.objects.values_list("odata_status", flat=True)}
    new: dict[str, str] = {}
    for name in sorted(seen):
        if name.casefold() not in known:
            new.setdefault(name.casefold(), name)
    result.added = sorted(new.values())
    if not dry_run:
        if result.added:
            StatusMapping.objects.bulk_create(
                [StatusMapping(odata_status=name, custom_status=name, active=False) for name in result.added],
                ignore_conflicts=True,
            )
        failed = "".join(f"; {instance} could not be read ({kind})" for instance, kind in result.failed.items())
        added = f"added {len(result.added)}: {', '.join(result.added)}" if result.added else "added none"
        summary = f"{result.seen} seen upstream, {added}{failed}"
        audit_record(actor=actor, action=AuditEvent.Action.REFRESHED_STATUSES, summary=summary)
    return result


# --- refreshing in the background (the admin's button) ---------------------------------------------

REFRESH_STATE_KEY = "statuses-refresh"
REFRESH_STALE_SECONDS = 300  # a "running" state older than this is a worker that died


def statuses_refresh_state() -> dict | None:
    """The last background refresh: {"state": "queued"|"running"|"done", "at", "message"}; shared by processes."""
    return cache.get(REFRESH_STATE_KEY)


def _set_refresh_state(state: str, message: str) -> None:
    cache.set(REFRESH_STATE_KEY, {"state": state, "at": timezone.now(), "message": message}, 24 * 3600)


def statuses_refresh_enqueue(*, user_id: int) -> bool:
    """Start a refresh in the worker, unless one is already under way; False when it joined that one."""
    current = statuses_refresh_state()
    under_way = current and current["state"] != "done"
    if under_way and (timezone.now() - current["at"]).total_seconds() < REFRESH_STALE_SECONDS:
        return False
    _set_refresh_state("queued", "Waiting for the worker…")
    transaction.on_commit(lambda: async_task("statuses.tasks.refresh_statuses_task", user_id))
    return True


def statuses_refresh_in_background(*, actor: Actor) -> StatusRefresh:
    """The worker's side: refresh, saying how far it got, and leave the outcome for the admin to show."""
    _set_refresh_state("running", "Reading the statuses BuzManager uses…")
    try:
        result = statuses_refresh(actor=actor)
    except Exception:
        _set_refresh_state("done", "The refresh failed; it has been logged. Try again later.")
        raise
    parts = (
        [f"Added {len(result.added)} new status(es), inactive: {', '.join(result.added)}."]
        if result.added
        else [f"No new statuses: all {result.seen} seen in BuzManager are listed."]
    )
    parts += [f"{instance} could not be read ({kind}); try again later." for instance, kind in result.failed.items()]
    _set_refresh_state("done", " ".join(parts))
    return result
