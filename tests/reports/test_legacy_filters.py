"""Links shared from the Flask app carry its filter names (statusFilter, groupFilter, supplierFilter)."""

from __future__ import annotations

import csv
import io

import pytest
import responses

from tests.conftest import CBR_JOBS, DD_JOBS, elements, order_line

ROWS = [
    order_line(RefNo="100", FixedLine=1, ProductionStatus="Sewing", ProductionLine="Curtains"),
    order_line(RefNo="100", FixedLine=2, ProductionStatus="Cutting", ProductionLine="Roller Blinds"),
    order_line(RefNo="200", FixedLine=1, ProductionStatus="Cutting", ProductionLine="Curtains"),
]


@pytest.fixture
def both(make_customer):
    return make_customer(display_name="Sunset", dd_name="Sunset", cbr_name="Sunset")


@pytest.fixture
def upstream():
    with responses.RequestsMock() as mock:
        mock.get(DD_JOBS, json={"value": ROWS})
        mock.get(CBR_JOBS, json={"value": [order_line(RefNo="300", ProductionStatus="Sewing")]})
        yield


def shown_lines(page: str) -> list[tuple[str, str]]:
    return sorted(
        (row["data-status"], row["data-group"])
        for row in elements(page, "tr")
        if "data-line" in row and "hidden" not in row
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("old", "new"),
    [
        ({"statusFilter": "Sewing"}, {"status": "Sewing"}),
        ({"groupFilter": "curtains"}, {"group": "curtains"}),
        ({"supplierFilter": "CBR"}, {"supplier": "CBR"}),
        ({"statusFilter": "Cutting", "groupFilter": "Curtains"}, {"status": "Cutting", "group": "Curtains"}),
    ],
)
def test_an_old_link_shows_what_the_new_names_show(client, open_report, both, upstream, old, new):
    old_page = open_report(client, f"/{both.obfuscated_id}", old)
    new_page = open_report(client, f"/{both.obfuscated_id}", new)
    assert old_page.context["report"].line_count == new_page.context["report"].line_count
    assert old_page.context["report"].line_count < 4  # the filter did something
    assert shown_lines(old_page.content.decode()) == shown_lines(new_page.content.decode())


@pytest.mark.django_db(transaction=True)
def test_the_old_menus_all_means_no_filter_and_a_new_name_wins(client, open_report, both, upstream):
    everything = open_report(client, f"/{both.obfuscated_id}", {"statusFilter": "All", "supplierFilter": "all"})
    assert everything.context["report"].line_count == 4
    both_names = open_report(client, f"/{both.obfuscated_id}", {"statusFilter": "Sewing", "status": "Cutting"})
    assert {line.status for order in both_names.context["report"].visible_orders for line in order.lines} == {"Cutting"}


@pytest.mark.django_db(transaction=True)
def test_export_links_and_the_address_carry_the_new_names(client, open_report, both, upstream):
    page = open_report(client, f"/{both.obfuscated_id}", {"statusFilter": "Sewing", "junk": "1"}).content.decode()
    [csv_link] = elements(page, "a", data_export=f"/{both.obfuscated_id}/download.csv")
    assert csv_link["href"] == f"/{both.obfuscated_id}/download.csv?status=Sewing"
    [form] = elements(page, "form", data_query="status=Sewing")
    assert form is not None


@pytest.mark.django_db(transaction=True)
def test_an_old_export_link_filters_the_file(client, both, upstream):
    response = client.get(f"/{both.obfuscated_id}/download.csv", {"statusFilter": "Sewing", "supplierFilter": "DD"})
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(body)))
    assert [(r["RefNo"], r["ProductionStatus"], r["Instance"]) for r in rows] == [("100", "Sewing", "DD")]
