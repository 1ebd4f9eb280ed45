"""Typed readers for environment variables.

Each helper fails loudly with ImproperlyConfigured on a value it cannot
read, so a typo in production stops the start-up instead of silently
falling back to a default.
"""

from __future__ import annotations

import os
import re
from datetime import time

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_is_set(name: str) -> bool:
    return bool(os.environ.get(name, "").strip())


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be 0/1/true/false, not {raw!r}")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, not {raw!r}") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {value}")
    return value


def env_float(name: str, default: float, *, minimum: float | None = None) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, not {raw!r}") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {value}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


_CLOCK = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


def parse_clock(name: str, raw: str) -> time:
    match = _CLOCK.match(raw.strip())
    if not match:
        raise ImproperlyConfigured(f"{name} must be a time like 09:30, not {raw!r}")
    return time(int(match.group(1)), int(match.group(2)))


def env_clock(name: str, default: str) -> time:
    return parse_clock(name, env_str(name, default) or default)


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def env_weekly(name: str, default: str) -> tuple[int, time]:
    """A weekly moment 'mon 07:30': (weekday, Monday 0, and the time of day)."""
    raw = env_str(name, default) or default
    day, _, clock = raw.strip().partition(" ")
    if day[:3].lower() not in WEEKDAYS or len(day) < 3:
        raise ImproperlyConfigured(f"{name} must look like 'mon 07:30', not {raw!r}")
    return WEEKDAYS.index(day[:3].lower()), parse_clock(name, clock.strip())


def env_window(name: str, default: str) -> tuple[time, time] | None:
    """A daily window 'HH:MM-HH:MM'; an empty value or 'off' means none."""
    raw = env_str(name, default)
    if raw.lower() in ("", "off", "none"):
        return None
    start, sep, end = raw.partition("-")
    if not sep:
        raise ImproperlyConfigured(f"{name} must look like 10:00-16:00, not {raw!r}")
    return parse_clock(name, start), parse_clock(name, end)
