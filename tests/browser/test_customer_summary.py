"""The customer page answers "when?" first, in the customer's words, on a desktop and on a phone."""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from customers.models import Customer
from orders.wording import short_date

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}
# Words of the plumbing that must never reach a customer's screen.
INTERNAL_WORDS = re.compile(r"\b(DD|CBR|DESDR|WATSO|Supplier|OData|BuzManager|JSON|worker|queue id|job)\b", re.I)


@pytest.fixture(params=list(WIDTHS))
def screen(request, browser):
    width, height = WIDTHS[request.param]
    context = browser.new_context(viewport={"width": width, "height": height}, is_mobile=request.param == "phone")
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.width_name = request.param
    yield page
    context.close()


def shoot(page, name: str) -> None:
    """Screenshots to look at before resolving anything visible (BUZETA_SCREENSHOTS=<dir>)."""
    folder = os.environ.get("BUZETA_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{folder}/{name}-{page.width_name}-first-screen.png")
        page.screenshot(path=f"{folder}/{name}-{page.width_name}.png", full_page=True)


def open_filters(page) -> None:
    """On a phone the search and filters are folded under "Search and filter": open them as a person would."""
    panel = page.locator("[data-filters-panel]")
    if panel.get_attribute("open") is None:
        panel.locator("summary").click()


def nothing_wider_than_the_viewport(page) -> None:
    overflow = page.evaluate(
        """() => {
          const width = document.documentElement.clientWidth;
          const wide = [...document.querySelectorAll('body *')].filter(el => {
            const box = el.getBoundingClientRect();
            return box.width > 0 && box.right > width + 1 && getComputedStyle(el).position !== 'fixed';
          }).map(el => el.tagName + '.' + el.className);
          return {scroll: document.documentElement.scrollWidth, width, wide: wide.slice(0, 5)};
        }"""
    )
    assert overflow["scroll"] <= overflow["width"] and not overflow["wide"], overflow


def test_the_summary_shows_the_soonest_order_in_the_first_screen(
    screen, live_server, simulator, northside, open_report, client
):
    report = open_report(client, f"/{northside.obfuscated_id}").context["page"]
    today = report.today
    upcoming = sorted((o for o in report.report.orders if o.eta and o.eta >= today), key=lambda o: o.eta)
    soonest = upcoming[0]

    screen.goto(f"{live_server.url}/{northside.obfuscated_id}")
    summary = screen.locator("[data-next-delivery]")
    text = summary.inner_text()
    assert f"Order {soonest.ref_no}" in text and short_date(soonest.eta) in text
    box = summary.bounding_box()
    assert box["y"] + box["height"] <= screen.viewport_size["height"]  # the answer is in the first screen
    assert "Updated" in screen.locator("[data-freshness]").inner_text()
    nothing_wider_than_the_viewport(screen)
    shoot(screen, "report")


def test_no_internal_words_reach_a_single_account_customer(screen, live_server, simulator, northside):
    # The loading page first (no worker runs here, so the job stays in the queue).
    screen.goto(f"{live_server.url}/{northside.obfuscated_id}")
    screen.locator('[role="progressbar"]').wait_for()
    loading = screen.locator("body").inner_text()
    assert not INTERNAL_WORDS.search(loading), INTERNAL_WORDS.search(loading)
    assert not screen.locator("a[href^='/jobs/']").count()  # no link to the job's JSON
    nothing_wider_than_the_viewport(screen)
    shoot(screen, "loading")

    from reports.jobs import job_run
    from reports.models import ReportJob

    # Off the loading page first: its polling would navigate to the finished job while we do.
    screen.goto("about:blank")
    job_run(str(ReportJob.objects.get().pk))
    screen.goto(f"{live_server.url}/{northside.obfuscated_id}")
    screen.locator("details.order").first.wait_for()
    visible = screen.locator("body").inner_text()
    assert not INTERNAL_WORDS.search(visible), INTERNAL_WORDS.search(visible)
    assert not screen.locator("select[name=supplier]").count()  # one factory: nothing to choose
    assert not screen.locator(".factory").count()


def test_search_finds_an_order_as_you_type_and_says_when_nothing_matches(
    screen, live_server, simulator, northside, open_report, client
):
    orders = open_report(client, f"/{northside.obfuscated_id}").context["report"].orders
    wanted = orders[len(orders) // 2]
    screen.goto(f"{live_server.url}/{northside.obfuscated_id}")
    open_filters(screen)

    screen.locator("[data-search]").fill(wanted.ref_no)
    screen.wait_for_function(f"() => location.search.includes('q={wanted.ref_no}')")
    screen.locator("[data-count=orders]").filter(has_text=re.compile(r"^1$")).wait_for()
    assert screen.locator("details.order .order-no").all_inner_texts() == [f"Order {wanted.ref_no}"]
    assert screen.locator("[data-search]").input_value() == wanted.ref_no  # the typing is kept
    csv_link = screen.locator("[data-export$='.csv']")  # "Download CSV", or "CSV" on a phone
    assert parse_qs(urlsplit(csv_link.get_attribute("href")).query) == {"q": [wanted.ref_no]}

    screen.locator("[data-search]").fill("no such thing")
    no_match = screen.locator("[data-no-match]")
    no_match.wait_for()
    assert "No orders match “no such thing”" in no_match.inner_text()
    assert not screen.locator("details.order").count()
    shoot(screen, "no-match")

    screen.locator("[data-results]").get_by_role("link", name="Clear filters").first.click()
    screen.wait_for_function("() => !location.search")
    assert screen.locator("details.order").count() == min(len(orders), 100)
    assert screen.locator("[data-search]").input_value() == ""


def test_a_filter_value_that_matches_nothing_says_so_and_offers_to_clear(screen, live_server, simulator, northside):
    from reports.jobs import job_run
    from reports.models import ReportJob

    screen.goto(f"{live_server.url}/{northside.obfuscated_id}")
    screen.goto("about:blank")  # off the loading page, whose polling would navigate while we do
    job_run(str(ReportJob.objects.get().pk))

    screen.goto(f"{live_server.url}/{northside.obfuscated_id}?status=Nonexistent")
    screen.locator("[data-no-match]").wait_for()
    assert "No orders match status “Nonexistent”" in screen.locator("[data-no-match]").inner_text()
    # The menu tells the truth: it shows the value asked for, not "All".
    selected = screen.locator("select[name=status] option:checked").inner_text()
    assert selected == "Nonexistent (no orders)"
    nothing_wider_than_the_viewport(screen)

    screen.locator("[data-no-match]").get_by_role("link").click()
    screen.locator("details.order").first.wait_for()
    assert not urlsplit(screen.url).query
    assert screen.locator("select[name=status]").input_value() == ""


def test_on_a_phone_later_orders_fold_to_their_headers(browser, live_server, simulator, northside, open_report, client):
    open_report(client, f"/{northside.obfuscated_id}")
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    page.goto(f"{live_server.url}/{northside.obfuscated_id}")
    orders = page.locator("details.order")
    opened = orders.evaluate_all("all => all.map(d => d.open)")
    assert opened[:3] == [True, True, True] and not any(opened[3:]) and len(opened) > 3
    orders.nth(4).locator("summary").click()  # a tap opens one
    assert orders.nth(4).evaluate("d => d.open")
    context.close()


def test_in_the_blackout_a_two_account_customer_gets_one_calm_line(screen, live_server, simulator, settings):
    from datetime import time, timedelta

    from django.utils import timezone

    from lib.clock import business_tz
    from odata.models import UpstreamCache
    from odata.services import cache_fetch

    sunset = Customer.objects.create(
        display_name="Sunset Shade Solutions", dd_name="Sunset Shade Solutions", cbr_name="Sunset Shade Solutions"
    )
    for target in sunset.fetch_targets:
        cache_fetch(target)
    UpstreamCache.objects.update(fetched_at=timezone.now() - timedelta(hours=2))
    now = timezone.localtime(timezone.now(), business_tz())
    settings.BUZ_BLACKOUT = (time((now.hour - 1) % 24), time((now.hour + 2) % 24))

    screen.goto(f"{live_server.url}/{sunset.obfuscated_id}")
    line = screen.locator("[data-freshness]")
    text = line.inner_text()
    assert re.match(r"Updated .* \(our cached copy\)\. Our production system is offline for reporting until", text)
    assert screen.locator("[data-source-state]").count() == 1  # one line for both accounts
    assert line.bounding_box()["y"] < screen.viewport_size["height"]  # in the first screen
    nothing_wider_than_the_viewport(screen)
    shoot(screen, "blackout")
