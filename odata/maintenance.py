from __future__ import annotations

from django.db import transaction

from odata.models import FetchLease, UpstreamCache


@transaction.atomic
def cache_clear(*, dry_run: bool = False) -> int:
    """Forget every cached upstream row (and any fetch lease); the next request fetches live."""
    count = UpstreamCache.objects.count()
    if not dry_run:
        UpstreamCache.objects.all().delete()
        FetchLease.objects.all().delete()
    return count
