"""How customers are told about dates, in the page's and the e-mails' words (one rule for both)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from django.conf import settings

from reports.rules import format_date


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
