"""The one shape of every JSON error (the API's, /jobs/'s, and what the middleware and gunicorn answer)."""

from __future__ import annotations

from typing import Any

from django.http import JsonResponse


def error_body(message: str, code: str, **extra: Any) -> dict[str, Any]:
    """`{"error": "…", "code": "NOT_FOUND"}`, plus `fields` and the like where there are some."""
    return {"error": message, "code": code, **extra}


def json_error(message: str, code: str, *, status: int) -> JsonResponse:
    return JsonResponse(error_body(message, code), status=status)
