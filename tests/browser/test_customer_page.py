"""The customer page in a real browser: a cold link, the progress bar, the report, filters."""

from __future__ import annotations

import csv
import io
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Error as PlaywrightError

from customers.models import Customer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def slow_simulator(simulator_config):
    # Slow enough that the bar is seen between steps.
    simulator_config.latency = 1.0
    return simulator_config


@pytest.fixture
def sunset(db):
    return Customer.objects.create(
        display_name="Sunset Shade Solutions", dd_name="Sunset Shade Solutions", cbr_name="Sunset Shade Solutions"
    )


def test_a_cold_link_shows_a_moving_progress_bar_then_the_report(
    page, live_server, slow_simulator, simulator, qcluster, sunset, settings
):
    settings.BUZ_BLACKOUT = None
    page.goto(f"{live_server.url}/{sunset.obfuscated_id}")
    bar = page.locator('[role="progressbar"]')
    assert bar.is_visible()
    assert page.locator("[data-job-id]").get_attribute("data-job-id")

    seen = []
    deadline = time.monotonic() + 45
    while not page.locator("h1.report-title, .report-head h1").count() and time.monotonic() < deadline:
        try:
            value = page.evaluate(
                "() => { const b = document.querySelector('[role=progressbar]');"
                " return b && b.getAttribute('aria-valuenow'); }"
            )
        except PlaywrightError:  # the page navigated to the report while we looked
            continue
        if value is not None and (not seen or seen[-1] != value):
            seen.append(value)
        time.sleep(0.05)

    page.get_by_role("heading", name="Open orders for Sunset Shade Solutions").wait_for()
    assert len(seen) >= 2 and seen[-1] != seen[0], f"the bar never moved: {seen}"
    assert page.locator("details.order").count() > 5
    # The address bar ends on the customer's permanent link, never on the job's snapshot.
    page.wait_for_function("() => !location.pathname.startsWith('/report/')")
    assert urlsplit(page.url).path == f"/{sunset.obfuscated_id}"
    page.reload()  # a bookmark of what the bar shows is the live page
    page.get_by_role("heading", name="Open orders for Sunset Shade Solutions").wait_for()


def test_filtering_by_status_shows_only_those_lines_and_updates_the_url(
    page, live_server, simulator, sunset, open_report, client
):
    # Build the report once (the job runs inline here), then use the page as a customer would.
    report_url = open_report(client, f"/{sunset.obfuscated_id}").request["PATH_INFO"]
    page.goto(f"{live_server.url}{report_url}")
    statuses = page.locator("select[name=status] option").all_inner_texts()[1:]
    wanted = statuses[0]
    total_orders = int(page.locator("[data-count=orders]").inner_text())

    page.select_option("select[name=status]", wanted)
    page.wait_for_function("() => location.search.includes('status=')")
    page.locator("[data-count=orders]").filter(has_not_text=str(total_orders)).wait_for()

    rows = page.locator("tr[data-line]")
    assert rows.count() > 0
    assert set(rows.evaluate_all("rows => rows.map(r => r.dataset.status)")) == {wanted}
    assert parse_qs(urlsplit(page.url).query) == {"status": [wanted]}
    assert int(page.locator("[data-count=orders]").inner_text()) < total_orders
    assert page.locator("[data-count=lines]").inner_text() == str(rows.count())

    page.reload()  # the filtered URL is shareable: the server applies it
    assert page.locator("tr[data-line]").count() == rows.count()
    assert page.locator("select[name=status]").input_value() == wanted


def test_the_export_links_carry_the_filter(page, live_server, simulator, sunset, open_report, client):
    report_url = open_report(client, f"/{sunset.obfuscated_id}").request["PATH_INFO"]
    page.goto(f"{live_server.url}{report_url}")
    wanted = page.locator("select[name=group] option").all_inner_texts()[1]
    page.select_option("select[name=group]", wanted)
    page.wait_for_function("() => location.search.includes('group=')")

    csv_link = page.get_by_role("link", name="Download CSV")
    page.wait_for_function(
        "() => document.querySelector('[data-export$=\".csv\"]').getAttribute('href').includes('group=')"
    )
    href = csv_link.get_attribute("href")
    assert urlsplit(href).path == f"/{sunset.obfuscated_id}/download.csv"
    assert parse_qs(urlsplit(href).query) == {"group": [wanted]}
    assert parse_qs(urlsplit(page.get_by_role("link", name="Download Excel").get_attribute("href")).query) == {
        "group": [wanted]
    }

    with page.expect_download() as info:
        csv_link.click()
    rows = list(csv.reader(io.StringIO(info.value.path().read_text(encoding="utf-8-sig"))))
    assert rows[0][:3] == ["RefNo", "DateScheduled", "ProductionStatus"]
    assert len(rows) > 1
    group_index = rows[0].index("ProductionLine")
    assert {row[group_index] for row in rows[1:]} == {wanted}


def test_a_link_from_the_old_app_shows_its_filter_and_moves_to_todays_names(
    page, live_server, simulator, sunset, open_report, client
):
    report_url = open_report(client, f"/{sunset.obfuscated_id}").request["PATH_INFO"]
    page.goto(f"{live_server.url}{report_url}")
    wanted = page.locator("select[name=status] option").all_inner_texts()[1]
    page.goto(f"{live_server.url}/{sunset.obfuscated_id}?status={wanted}")
    expected = page.locator("tr[data-line]").count()

    page.goto(f"{live_server.url}/{sunset.obfuscated_id}?statusFilter={wanted}")
    assert page.locator("tr[data-line]").count() == expected
    assert page.locator("select[name=status]").input_value() == wanted
    assert parse_qs(urlsplit(page.url).query) == {"status": [wanted]}  # a bookmark made now is a current link
    href = page.get_by_role("link", name="Download CSV").get_attribute("href")
    assert parse_qs(urlsplit(href).query) == {"status": [wanted]}
