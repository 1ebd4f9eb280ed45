from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings

from odata.client import get_client
from odata.errors import ODataError
from statuses.models import StatusMapping


@dataclass
class StatusRefresh:
    added: list[str] = field(default_factory=list)
    seen: int = 0
    failed: dict[str, str] = field(default_factory=dict)  # instance -> error kind


def statuses_refresh(*, dry_run: bool = False) -> StatusRefresh:
    """Add every status seen upstream as a mapping row: inactive, its name unchanged."""
    result = StatusRefresh()
    seen: set[str] = set()
    for instance in settings.BUZ_ACCOUNTS:
        try:
            seen |= get_client(instance).open_statuses()
        except ODataError as exc:
            result.failed[instance] = exc.kind
    result.seen = len(seen)
    known = set(StatusMapping.objects.values_list("odata_status", flat=True))
    result.added = sorted(seen - known)
    if not dry_run and result.added:
        StatusMapping.objects.bulk_create(
            [StatusMapping(odata_status=name, custom_status=name, active=False) for name in result.added],
            ignore_conflicts=True,
        )
    return result
