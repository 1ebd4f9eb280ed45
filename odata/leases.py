"""Single-flight for upstream fetches: a lease row per cache key in the database.

The database is the one thing every web process, thread and worker shares,
on SQLite and PostgreSQL alike. Taking a lease is a plain INSERT on a unique
key (or a conditional UPDATE of an expired one), so no lock is ever held
across the slow HTTP call. A lease covers one HTTP request and is renewed
before the next, so a dead owner blocks nobody for longer than one request.
"""

from __future__ import annotations

import time
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from odata.models import FetchLease

POLL_SECONDS = 0.1


def lease_acquire(key: str, owner: str, *, ttl_seconds: float) -> bool:
    now = timezone.now()
    expires_at = now + timedelta(seconds=ttl_seconds)
    # Take over a lease whose owner died; the WHERE makes only one taker win.
    if FetchLease.objects.filter(key=key, expires_at__lt=now).update(owner=owner, expires_at=expires_at):
        return True
    try:
        with transaction.atomic():
            FetchLease.objects.create(key=key, owner=owner, expires_at=expires_at)
    except IntegrityError:
        return False
    return True


def lease_renew(key: str, owner: str, *, ttl_seconds: float) -> None:
    FetchLease.objects.filter(key=key, owner=owner).update(expires_at=timezone.now() + timedelta(seconds=ttl_seconds))


def lease_renewer(key: str, owner: str, *, ttl_seconds: float, request_seconds: float):
    """What to call before each HTTP request of a fetch: renews the lease only when what is left of
    it may not cover one more request (the first request, just after taking it, costs no write)."""
    renewed_at = time.monotonic()

    def before_request() -> None:
        nonlocal renewed_at
        if time.monotonic() - renewed_at > ttl_seconds - request_seconds:
            lease_renew(key, owner, ttl_seconds=ttl_seconds)
            renewed_at = time.monotonic()

    return before_request


def lease_release(key: str, owner: str) -> None:
    FetchLease.objects.filter(key=key, owner=owner).delete()


def lease_wait(key: str, *, timeout_seconds: float) -> bool:
    """Wait until nobody holds a live lease on `key`; False if still held at the timeout."""
    deadline = time.monotonic() + timeout_seconds
    while True:
        if not FetchLease.objects.filter(key=key, expires_at__gte=timezone.now()).exists():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(POLL_SECONDS)
