"""What floors above reports add to the customer page, without the page knowing them: a button beside
the downloads and a panel after the orders (e-mail updates, from notifications). Each app registers
its templates in its AppConfig.ready(); the page includes those whose `enabled()` says yes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class PageExtra:
    action_template: str  # a link beside "Download CSV" (the report's context, `customer_link`)
    panel_template: str  # a section after the orders
    enabled: Callable[[], bool]


_extras: list[PageExtra] = []


def page_extra_register(extra: PageExtra) -> None:
    if extra not in _extras:
        _extras.append(extra)


def page_extras() -> list[PageExtra]:
    return [extra for extra in _extras if extra.enabled()]
