from __future__ import annotations

from django.db import transaction

from audit.models import AuditEvent
from audit.services import Actor, audit_record
from odata.models import FetchLease, UpstreamCache


@transaction.atomic
def cache_clear(*, actor: Actor, dry_run: bool = False) -> int:
    """Forget every cached upstream row (and any fetch lease); the next request fetches live."""
    count = UpstreamCache.objects.count()
    if not dry_run:
        UpstreamCache.objects.all().delete()
        FetchLease.objects.all().delete()
        audit_record(
            actor=actor, action=AuditEvent.Action.CLEARED_CACHE, summary=f"{count} cached upstream entries deleted"
        )
    return count
