"""How customers are told about dates, times and moves, on the page, in exports and in e-mails: each
format written once. (Plain functions over dates; the business clock comes from lib.clock.)"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time

from django.conf import settings
from django.utils import timezone

from lib.clock import business_now, business_today

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def format_date(day: date | None) -> str:
    """`12 Dec 2026`, the same in every locale; blank when unknown (the report's date, README "The report")."""
    if day is None:
        return ""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def export_date(day: date) -> str:
    """`01 Jan 2025`: the old app's export dates (two-digit day), which spreadsheets built on its files read."""
    return f"{day.day:02d} {MONTHS[day.month - 1]} {day.year}"


def short_date(day: date) -> str:
    """`Thu 26 Nov` (the year only when it is not this year's)."""
    text = f"{WEEKDAYS[day.weekday()]} {day.day} {MONTHS[day.month - 1]}"
    return text if day.year == business_today().year else f"{text} {day.year}"


def days_from_today(day: date, today: date) -> str:
    days = (day - today).days
    if days == 0:
        return "today"
    if days == 1:
        return "tomorrow"
    if days == -1:
        return "yesterday"
    return f"in {days} days" if days > 0 else f"{-days} days ago"


def days_text(days: int) -> str:
    return f"{days} day{'' if days == 1 else 's'}"


def move_words(from_eta: date, to_eta: date, *, day: Callable[[date], str] = format_date) -> str:
    """`Moved from 13 Dec 2026 to 18 Dec 2026 — 5 days later` (or `Brought forward … — 2 days earlier`):
    the size of a move in words, never by colour alone."""
    days = (to_eta - from_eta).days
    if days == 0:
        return f"Date changed, then back to {day(to_eta)}"
    verb, direction = ("Moved", "later") if days > 0 else ("Brought forward", "earlier")
    return f"{verb} from {day(from_eta)} to {day(to_eta)} — {days_text(abs(days))} {direction}"


def likely_words(likely: date, *, q_days: int, line: str, account: str) -> str:
    """`Likely by Fri 19 Dec — 8 in 10 Shutters orders were ready within 7 days of the first date we gave`
    (`line` blank: the account's orders, named by the customer's label for it)."""
    whose = f"{line} orders" if line else f"orders from {account}"
    return (
        f"Likely by {short_date(likely)} — 8 in 10 {whose} were ready within {days_text(q_days)} "
        "of the first date we gave"
    )


def clock_text(moment: time | datetime) -> str:
    """`9:30 am`, `4:00 pm`: the one way customers read a time of day."""
    return f"{moment.hour % 12 or 12}:{moment.minute:02d} {'am' if moment.hour < 12 else 'pm'}"


def time_text(moment: datetime, *, with_day: bool = True) -> str:
    """`23 Nov 2026, 9:30 am` (or `9:30 am`) in the business time zone."""
    local = business_now(moment)
    return f"{format_date(local.date())}, {clock_text(local)}" if with_day else clock_text(local)


def ago_words(moment: datetime, now: datetime | None = None) -> str:
    """`just now`, `5 minutes ago`, `3 hours ago`, `2 days ago`, then the date (`23 Nov 2026`): how long
    ago, for staff lists, never "0 minutes ago"."""
    seconds = ((now or timezone.now()) - moment).total_seconds()
    if seconds < 60:
        return "just now"
    for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute")):
        if seconds >= size:
            count = int(seconds // size)
            if unit == "day" and count > 30:
                return format_date(business_now(moment).date())
            return f"{count} {unit}{'' if count == 1 else 's'} ago"
    return "just now"


def when_text(moment: datetime) -> str:
    """`9:30 am` today, `23 Nov 2026, 9:30 am` another day."""
    return time_text(moment, with_day=business_now(moment).date() != business_today())


@dataclass(frozen=True)
class Brand:
    """Who the customer buys from (BUZ_COMPANY_NAME) and how to reach them, for pages and e-mails."""

    name: str
    email: str
    phone: str

    @property
    def phone_link(self) -> str:
        return "tel:" + "".join(c for c in self.phone if c.isdigit() or c == "+")


def brand() -> Brand:
    return Brand(settings.BUZ_COMPANY_NAME, settings.BUZ_CONTACT_EMAIL, settings.BUZ_CONTACT_PHONE)
