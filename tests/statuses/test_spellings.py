"""Status names that differ only in case (`Packed`, `packed`, `PACKED` from the two accounts) are one status."""

from __future__ import annotations

import pytest
import responses

from orders.filters import ReportFilters, filter_options, filter_orders
from orders.rules import build_orders
from statuses.models import StatusMapping
from statuses.selectors import status_names_active
from statuses.services import statuses_refresh
from tests.conftest import CBR_JOBS, DD_JOBS, SYDNEY, TEST_ACTOR, order_line


def rows(*statuses: str) -> list[dict]:
    return [
        {**order_line(FixedLine=n, ProductionStatus=status), "Instance": "DD"}
        for n, status in enumerate(statuses, start=1)
    ]


def orders(statuses, names=None):
    return build_orders(rows(*statuses), status_names=names or {}, finished_statuses=[], tz=SYDNEY)


def shown(order_blocks) -> list[str]:
    return [line.status for order in order_blocks for line in order.lines]


def test_one_mapping_renames_every_spelling(db):
    StatusMapping.objects.create(odata_status="Packed", custom_status="Ready to go")
    assert shown(orders(["Packed", "PACKED", "packed"], status_names_active())) == ["Ready to go"] * 3


def test_a_spellings_own_mapping_wins(db):
    StatusMapping.objects.create(odata_status="Packed", custom_status="Ready to go")
    StatusMapping.objects.create(odata_status="PACKED", custom_status="Packed (CBR)")
    assert shown(orders(["Packed", "PACKED", "packed"], status_names_active())) == [
        "Ready to go",
        "Packed (CBR)",
        "Ready to go",
    ]


def test_an_inactive_mapping_of_one_spelling_does_not_hide_the_active_one(db):
    StatusMapping.objects.create(odata_status="Packed", custom_status="Ready to go")
    StatusMapping.objects.create(odata_status="PACKED", custom_status="ignored", active=False)
    assert shown(orders(["PACKED"], status_names_active())) == ["Ready to go"]


def test_unmapped_spellings_are_one_choice_and_filtering_by_it_matches_all():
    blocks = orders(["Packed", "PACKED", "Packed", "packed", "Sewing"])
    assert filter_options(blocks)["status"] == ["Packed", "Sewing"]  # the spelling most lines use
    kept = filter_orders(blocks, ReportFilters.from_values(status=["PACKED"]))
    assert shown(kept) == ["Packed", "PACKED", "Packed", "packed"]


@responses.activate
def test_a_refresh_adds_one_row_per_status_whatever_its_spelling(db):
    StatusMapping.objects.create(odata_status="Packed", custom_status="Ready to go")
    responses.get(DD_JOBS, json={"value": [{"ProductionStatus": "PACKED"}, {"ProductionStatus": "Sewing"}]})
    responses.get(CBR_JOBS, json={"value": [{"ProductionStatus": "sewing"}, {"ProductionStatus": "packed"}]})
    result = statuses_refresh(actor=TEST_ACTOR)
    assert result.added == ["Sewing"]
    assert sorted(StatusMapping.objects.values_list("odata_status", flat=True)) == ["Packed", "Sewing"]


@pytest.mark.django_db(transaction=True)
def test_the_page_offers_one_choice_per_status(client, open_report, customer):
    StatusMapping.objects.create(odata_status="Packed", custom_status="Ready to go")
    with responses.RequestsMock() as mock:
        mock.get(DD_JOBS, json={"value": rows("Packed", "PACKED", "fabric cut", "Fabric Cut", "Fabric Cut")})
        page = open_report(client, f"/{customer.obfuscated_id}")
    [status_menu] = [m for m in page.context["page"].menus if m.key == "status"]
    assert [option.value for option in status_menu.options] == ["Fabric Cut", "Ready to go"]
