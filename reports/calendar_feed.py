"""A customer's open orders as a calendar feed (iCalendar, RFC 5545) their calendar app subscribes to.

One all-day event per order with a date, on its ETA. The event's UID names the order, never the
date or the fetch, so a calendar moves the event when the date moves instead of adding another;
SEQUENCE is how many times the date had moved (history.selectors.eta_revisions), so it rises
with every move. Written with the `icalendar` library: folding, escaping and the value types are
its business, not ours.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, timedelta
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.cache import get_conditional_response
from django.utils.http import content_disposition_header, http_date
from icalendar import Calendar, Event, vDuration

from history.selectors import eta_revisions
from orders.rules import OrderBlock
from orders.wording import brand, format_date, move_words, time_text
from reports.exports import export_filename
from reports.report import Report, account_label, likely_text

CONTENT_TYPE = "text/calendar; charset=utf-8"
# How often a calendar app should ask again (those that read it: Apple, Outlook; Google decides itself).
REFRESH = timedelta(hours=1)
LINES_LISTED = 20  # an event's description names this many of an order's lines, then counts the rest


@dataclass(frozen=True)
class CalendarLinks:
    """Ways to subscribe to a feed, for the page's "Add to calendar"."""

    feed: str  # https://…/calendar.ics?… — to paste into any calendar's "subscribe from URL"
    webcal: str  # webcal://… — opens the device's calendar app (Apple, Outlook) subscribed
    google: str  # Google Calendar's own "add by URL" with the feed filled in


def calendar_links(feed_url: str) -> CalendarLinks:
    webcal = "webcal://" + feed_url.split("://", 1)[1]
    return CalendarLinks(
        feed=feed_url, webcal=webcal, google="https://calendar.google.com/calendar/r?" + urlencode({"cid": webcal})
    )


def calendar_name(report: Report) -> str:
    return f"{report.customer_name} — order dates from {brand().name}"


def order_uid(order: OrderBlock) -> str:
    """`dd-512805@buzeta`: the account and order number, nothing that can change (not the site's
    address: a move to another domain must not duplicate every event in every calendar)."""
    ref = re.sub(r"[^A-Za-z0-9._-]", "_", order.ref_no)
    return f"{order.instance.lower()}-{ref}@buzeta"


def feed_version(report: Report, *, forecast: bool) -> str:
    """Changes exactly when the feed could: new data (a fetch, a status name, a day), other filters."""
    key = f"{report.data_version}|{report.filters}|{forecast}|{settings.BUZ_PUBLIC_URL}"
    return hashlib.sha256(key.encode()).hexdigest()[:40]


def calendar_response(request: HttpRequest, report: Report, *, customer: Any, page_url: str) -> HttpResponse:
    """The feed, or a 304 when the app's copy is current (its ETag or date)."""
    forecast = settings.BUZ_FORECAST_PUBLIC
    etag = f'"{feed_version(report, forecast=forecast)}"'
    modified = report.data_as_of.timestamp() if report.data_as_of else None
    response = get_conditional_response(request, etag=etag, last_modified=modified)
    if response is None:
        response = HttpResponse(calendar_feed(report, page_url=page_url, forecast=forecast), content_type=CONTENT_TYPE)
    response["ETag"] = etag
    if modified:
        response["Last-Modified"] = http_date(modified)
    filename = export_filename(customer.display_name, "ics")
    response["Content-Disposition"] = content_disposition_header(as_attachment=False, filename=filename)
    response["Cache-Control"] = "private, no-cache"
    return response


def calendar_feed(report: Report, *, page_url: str, forecast: bool) -> bytes:
    """The feed of the report's visible orders (its filters applied); `forecast`: say "likely by"."""
    calendar = Calendar()
    calendar.add("prodid", "-//BuzETA//Order dates//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("name", calendar_name(report))
    calendar.add("x-wr-calname", calendar_name(report))
    calendar.add("x-wr-timezone", settings.BUZ_TIMEZONE)
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(REFRESH))
    stamp = (report.data_as_of or report.generated_at).astimezone(UTC)  # DTSTAMP is always UTC
    dated = [order for order in report.visible_orders if order.eta]
    revisions = eta_revisions(dated)
    for order in sorted(dated, key=lambda o: (o.eta, o.instance, o.ref_no)):
        event = Event()
        event.add("uid", order_uid(order))
        event.add("dtstamp", stamp)
        event.add("dtstart", order.eta)
        event.add("dtend", order.eta + timedelta(days=1))
        event.add("sequence", revisions.get((order.instance, order.ref_no), 0))
        event.add("summary", _summary(order, report))
        event.add("description", _description(order, report, page_url=page_url, forecast=forecast))
        event.add("url", page_url)
        event.add("transp", "TRANSPARENT")  # a delivery date, not a meeting: it does not make anyone busy
        event.add("categories", [account_label(order.instance)])
        calendar.add_component(event)
    return calendar.to_ical()


def _summary(order: OrderBlock, report: Report) -> str:
    summary = f"Order {order.ref_no}"
    if order.descn:
        summary += f" — {order.descn}"
    if report.is_group and order.customer:
        summary += f" ({order.customer})"
    return summary


def _description(order: OrderBlock, report: Report, *, page_url: str, forecast: bool) -> str:
    lines = [f"Expected {format_date(order.eta)} ({account_label(order.instance)})."]
    if forecast and (likely := likely_text(order)):
        lines.append(f"{likely}.")
    if order.previous_eta and order.eta:
        lines.append(f"{move_words(order.previous_eta, order.eta)}.")
    lines.append("")
    for line in order.lines[:LINES_LISTED]:
        what = " · ".join(part for part in (line.item or line.descn, line.group) if part)
        lines.append(f"{what or 'Line ' + line.line_no}: {line.status or 'not started'}")
    if len(order.lines) > LINES_LISTED:
        lines.append(f"… and {len(order.lines) - LINES_LISTED} more lines")
    lines.append("")
    if report.data_as_of:
        lines.append(f"As of {time_text(report.data_as_of)}.")
    lines.append(f"All your orders: {page_url}")
    return "\n".join(lines)
