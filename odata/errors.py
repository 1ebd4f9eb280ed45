"""What can go wrong when asking BuzManager for data.

`detail` is for logs and operators; it may name the entity set but never
carries credentials. Customers are shown a message chosen by `kind`.
"""

from __future__ import annotations


class ODataError(Exception):
    kind = "error"
    http_status = 502  # what a page shows when this is all we have

    def __init__(self, detail: str, *, instance: str = "", status_code: int | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.instance = instance
        self.status_code = status_code


class UpstreamHTTPError(ODataError):
    kind = "http_error"


class UpstreamUnavailable(UpstreamHTTPError):
    """BuzManager answered 503: its daily blackout or maintenance."""

    kind = "unavailable"
    http_status = 503


class UpstreamTimeout(ODataError):
    kind = "timeout"
    http_status = 504


class UpstreamConnectionError(ODataError):
    kind = "connection"


class UpstreamBadResponse(ODataError):
    """A body that is not OData JSON: an HTML login page, truncated JSON, no `value`."""

    kind = "bad_response"


class QueryTooLong(ODataError):
    """A single filter value that cannot fit in one URL; a data problem, not an outage."""

    kind = "query_too_long"


_BY_KIND = {
    cls.kind: cls
    for cls in (UpstreamHTTPError, UpstreamUnavailable, UpstreamTimeout, UpstreamConnectionError, UpstreamBadResponse)
}


def error_from_kind(kind: str, detail: str, *, instance: str = "") -> ODataError:
    """Rebuild a recorded failure, e.g. the outcome of another process's attempt."""
    return _BY_KIND.get(kind, ODataError)(detail or kind, instance=instance)
