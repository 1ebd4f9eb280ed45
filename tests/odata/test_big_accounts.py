"""Big accounts against the real simulator: every page followed, only the fields we use asked for."""

from __future__ import annotations

from datetime import date
from urllib.parse import parse_qs, urlsplit

import pytest
import responses

from odata.client import LINE_FIELDS, MAX_EMPTY_PAGES, BuzClient
from odata.errors import UpstreamBadResponse
from odata.services import cache_fetch
from odata.simulator.dataset import BULK_CUSTOMER
from odata.simulator.server import SimulatorConfig
from odata.targets import FetchTarget


@pytest.fixture
def simulator_config() -> SimulatorConfig:
    """60,000 open lines for one DD customer, 100 to a page: 600 pages (the old limit was 500)."""
    return SimulatorConfig(
        username="sim", password="sim-pass", today=date(2026, 11, 23), page_size=100, bulk_lines=60_000
    )


@pytest.mark.django_db
def test_an_account_with_60000_open_lines_is_fetched_whole(simulator):
    result = cache_fetch(FetchTarget("DD", BULK_CUSTOMER, False))
    assert result.source == "live" and len(result.rows) == 60_000
    assert len({row["RefNo"] for row in result.rows}) == 7_500
    assert simulator.count(entity_set="JobsScheduleDetailed") == 600


@pytest.mark.django_db
def test_only_the_fields_the_product_uses_are_asked_for_and_kept(simulator):
    result = cache_fetch(FetchTarget("DD", "Northside Window Co", False))
    asked = {record.query.get("$select") for record in simulator.records if record.entity_set == "JobsScheduleDetailed"}
    assert asked == {",".join(LINE_FIELDS)}  # the export's extra columns (Customer, Qty, Location) are among them
    assert all(set(row) <= set(LINE_FIELDS) | {"Instance"} for row in result.rows)
    assert not any("CostPrice" in row or "PkId" in row for row in result.rows)


@responses.activate
def test_paging_that_brings_nothing_but_new_links_is_stopped():
    root = "https://buz.test/reports/DESDR"
    client = BuzClient("DD", root)
    for n in range(MAX_EMPTY_PAGES + 5):
        responses.get(f"{root}/JobsScheduleDetailed?page={n}", json={"value": [], "@odata.nextLink": f"?page={n + 1}"})
    responses.get(f"{root}/JobsScheduleDetailed", json={"value": [], "@odata.nextLink": "?page=0"})
    with pytest.raises(UpstreamBadResponse, match="paging did not end"):
        client.get_all("JobsScheduleDetailed")


def test_a_group_batch_counts_the_select_in_the_url_length():
    client = BuzClient("DD", "https://buz.test/reports/DESDR", max_url_length=600)
    members = [f"Member number {n:03d}" for n in range(40)]
    select = ",".join(LINE_FIELDS)
    filters = list(client.batched_in_filters("JobsScheduleDetailed", "X eq 1", "Customer", members, select=select))
    assert len(filters) > 1
    for filter_expr in filters:
        url = client.url("JobsScheduleDetailed", filter_expr, select)
        assert len(url) <= 600 and parse_qs(urlsplit(url).query)["$select"] == [select]
