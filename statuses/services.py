from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction

from audit.services import Actor, audit_record, changes_between
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


@transaction.atomic
def status_mapping_save(*, mapping: StatusMapping, actor: Actor) -> StatusMapping:
    """Validate and store a new or changed mapping, recording who did it and what changed."""
    stored = StatusMapping.objects.filter(pk=mapping.pk).first() if mapping.pk else None
    before = _recorded_fields(stored) if stored else {}
    mapping.full_clean()
    mapping.save()
    changes = changes_between(before, _recorded_fields(mapping))
    if not before or changes:
        audit_record(actor=actor, action="changed" if before else "created", obj=mapping, changes=changes)
    return mapping


@transaction.atomic
def status_mapping_delete(*, mapping: StatusMapping, actor: Actor) -> None:
    audit_record(actor=actor, action="deleted", obj=mapping, changes=changes_between(_recorded_fields(mapping), {}))
    mapping.delete()


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
        audit_record(actor=actor, action="refreshed statuses", summary=f"{result.seen} seen upstream, {added}{failed}")
    return result
