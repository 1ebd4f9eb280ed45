"""What can go wrong when asking BuzManager for data, one class per thing that actually happened.

`detail` is for logs and operators; it may name the entity set but never
carries credentials. Customers are shown a message chosen by the class.
`retry_after` is the server's own Retry-After, in seconds, when it sent one.
"""

from __future__ import annotations


class ODataError(Exception):
    kind = "error"
    http_status = 502  # what a page shows when this is all we have
    # Whether the account should be left alone for a while after this (see odata.services.backoff_seconds).
    backs_off_account = True

    def __init__(
        self,
        detail: str,
        *,
        instance: str = "",
        status_code: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.instance = instance
        self.status_code = status_code
        self.retry_after = retry_after


class UpstreamHTTPError(ODataError):
    """An HTTP error status other than those below (500, 502, 404…)."""

    kind = "http_error"


class UpstreamUnavailable(UpstreamHTTPError):
    """BuzManager answered 503: its daily blackout or maintenance."""

    kind = "unavailable"
    http_status = 503


class UpstreamRateLimited(UpstreamUnavailable):
    """BuzManager answered 429: we asked too often. Treated like a 503, Retry-After included."""

    kind = "rate_limited"


class UpstreamAuthError(UpstreamHTTPError):
    """401 or 403: our credentials are wrong or were revoked; an operator must act."""

    kind = "auth"


class UpstreamTimeout(ODataError):
    """Connected, but no (complete) answer within BUZ_READ_TIMEOUT: a slow server."""

    kind = "timeout"
    http_status = 504


class UpstreamConnectionError(ODataError):
    """No conversation: refused, no route, connect timeout, or the connection dropped mid-answer."""

    kind = "connection"


class UpstreamBadResponse(ODataError):
    """An answer that is not OData JSON: a redirect to a login page, HTML, truncated or invalid JSON."""

    kind = "bad_response"


class QueryTooLong(ODataError):
    """A single filter value that cannot fit in one URL; a data problem, not an outage."""

    kind = "query_too_long"
    backs_off_account = False


_BY_KIND = {
    cls.kind: cls
    for cls in (
        UpstreamHTTPError,
        UpstreamUnavailable,
        UpstreamRateLimited,
        UpstreamAuthError,
        UpstreamTimeout,
        UpstreamConnectionError,
        UpstreamBadResponse,
        QueryTooLong,
    )
}


def error_from_kind(kind: str, detail: str, *, instance: str = "") -> ODataError:
    """Rebuild a recorded failure, e.g. the outcome of another process's attempt."""
    return _BY_KIND.get(kind, ODataError)(detail or kind, instance=instance)
