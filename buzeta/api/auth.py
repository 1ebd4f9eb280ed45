"""API keys at the door: a usable key, its rate limit, and its scope."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django_ratelimit.core import get_usage, is_ratelimited
from django_ratelimit.exceptions import Ratelimited
from ninja.security import APIKeyHeader

from buzeta.api.keys import api_key_verify
from buzeta.models import ApiKey


class Revoked(Exception):
    """A key that was revoked (not merely wrong): 403, not 401."""


class OutOfScope(Exception):
    """A `read` key at an operation for `manage` keys."""


class KeyAuth(APIKeyHeader):
    """A usable key, rate-limited per key; `manage=True` for operations only `manage` keys may call."""

    param_name = "X-API-Key"

    def __init__(self, *, manage: bool = False) -> None:
        super().__init__()
        self.manage = manage

    def authenticate(self, request: HttpRequest, key: str | None) -> ApiKey | None:
        api_key = self._usable_key(request, key)
        if api_key is not None and self.manage and not api_key.may_manage:
            raise OutOfScope
        return api_key

    def _usable_key(self, request: HttpRequest, key: str | None) -> ApiKey | None:
        if not key:
            return None
        # Guessing keys: an address that sent too many wrong ones is refused before any key is checked.
        wrong_keys = {"group": "api-bad-key", "key": "ip", "rate": settings.RATELIMIT_API_BAD_KEYS}
        usage = get_usage(request, **wrong_keys)
        if usage and usage["count"] >= usage["limit"]:
            raise Ratelimited
        api_key = api_key_verify(key)
        if api_key is None:
            get_usage(request, **wrong_keys, increment=True)
            prefix = key.split("_")[1] if key.count("_") >= 2 else ""
            if prefix and ApiKey.objects.filter(prefix=prefix, revoked_at__isnull=False).exists():
                raise Revoked
            return None
        limited = is_ratelimited(
            request, group="api", key=lambda _g, _r: api_key.prefix, rate=settings.RATELIMIT_API, increment=True
        )
        if limited:
            raise Ratelimited
        return api_key
