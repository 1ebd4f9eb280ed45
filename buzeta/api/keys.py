"""API keys: made, checked and revoked here, for the admin, the command and the API alike."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import Actor, audit_record
from buzeta.models import ApiKey

# last_used_at is written at most this often per key: no write on every request.
LAST_USED_PRECISION = timedelta(minutes=1)


class ApiKeyError(Exception):
    pass


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def api_key_create(*, name: str, actor: Actor, scope: str = ApiKey.Scope.READ) -> tuple[ApiKey, str]:
    """A new key and its secret; the secret exists only in the return value. Read-only unless asked."""
    name = name.strip()
    if not name or len(name) > 100:
        raise ApiKeyError("a key needs a name of 1 to 100 characters")
    if scope not in ApiKey.Scope.values:
        raise ApiKeyError(f"a key's scope is {' or '.join(ApiKey.Scope.values)}, not {scope!r}")
    prefix = secrets.token_hex(4)
    secret = f"bze_{prefix}_{secrets.token_urlsafe(32)}"
    try:
        with transaction.atomic():
            key = ApiKey.objects.create(name=name, prefix=prefix, key_hash=_digest(secret), scope=scope)
            audit_record(actor=actor, action=AuditEvent.Action.CREATED, obj=key, changes={"scope": [None, scope]})
    except IntegrityError:
        raise ApiKeyError(f"a key named {name!r} already exists") from None
    return key, secret


def api_key_verify(secret: str) -> ApiKey | None:
    """The usable key this secret belongs to, or None. The hash comparison takes constant time."""
    parts = secret.split("_")
    if len(parts) < 3 or parts[0] != "bze":
        return None
    key = ApiKey.objects.usable().filter(prefix=parts[1]).first()
    if key is None or not hmac.compare_digest(key.key_hash, _digest(secret)):
        return None
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at > LAST_USED_PRECISION:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
    return key


@transaction.atomic
def api_key_revoke(*, key: ApiKey, actor: Actor) -> None:
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
        audit_record(actor=actor, action=AuditEvent.Action.REVOKED, obj=key)
