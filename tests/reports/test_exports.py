"""Exports never leak and never run formulas (interface §7)."""

from __future__ import annotations

import csv
import io
from datetime import datetime

import pytest
import responses
import time_machine
from django.core.checks import run_checks
from openpyxl import load_workbook

from reports.exports import FIXED_COLUMNS, export_columns, is_denied
from statuses.models import StatusMapping
from tests.conftest import DD_JOBS, SYDNEY, order_line

HEADER = [
    "RefNo",
    "DateScheduled",
    "ProductionStatus",
    "ProductionLine",
    "InventoryItem",
    "Descn",
    "Instance",
    "FixedLine",
    "FirstPromised",
    "EtaChangedAt",
    "LikelyBy",
    "Customer",
    "Qty",
    "Location",
]
SECRETS = {
    "CostPrice": 88.2,
    "cost_ex_gst": 70.1,
    "Wholesale": 99.9,
    "PkId": "pk-123",
    "BarcodeNo": "BZ0001",
    "SupplierPriceEach": 55.5,
    "Margin": 61.5,
    "Notes": "internal note",
    "NewSecretField": "never",
}


def line(ref="512877", n=1, when="2026-12-08T00:00:00Z", status="Sewing", **extra):
    """A curtain line with a quantity, a room and every field that must never leave."""
    fields = {
        "RefNo": ref,
        "FixedLine": n,
        "DateScheduled": when,
        "ProductionStatus": status,
        "ProductionLine": extra.pop("group", "Curtains"),
        "InventoryItem": extra.pop("item", "Wave Curtain"),
        "Descn": extra.pop("descn", "Smith - upstairs"),
        "Qty": 2,
        "Location": "Bed 2",
        **SECRETS,
    }
    return order_line(**{**fields, **extra})


@pytest.fixture(autouse=True)
def morning():
    with time_machine.travel(datetime(2026, 11, 23, 8, 0, tzinfo=SYDNEY), tick=True):
        yield


def download(client, customer, fmt, **query):
    return client.get(f"/{customer.obfuscated_id}/download.{fmt}", query)


def csv_rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


def xlsx_sheet(response):
    return load_workbook(io.BytesIO(b"".join(response.streaming_content))).active


# --- columns -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "CostPrice",
        "cost_ex_gst",
        "Wholesale",
        "PkId",
        "BarcodeNo",
        "SupplierPriceEach",
        "Margin",
        "MarkupPct",
        "BuyPrice",
        "COGS",
        "Notes",
        "InternalNotes",
        "Unit Cost",
        "ID",
        "OrderId",
        "RRP",
        "GrossProfit",
        "api_key",
    ],
)
def test_hostile_column_names_are_denied(name):
    assert is_denied(name)


@pytest.mark.parametrize("name", [*FIXED_COLUMNS, "Qty", "Location", "Customer", "Width", "Colour"])
def test_ordinary_columns_are_not_denied(name):
    assert not is_denied(name)


def test_fixed_columns_come_first_and_denied_extras_are_dropped():
    assert export_columns(["Qty", "CostPrice", "RefNo", "Location"]) == [*FIXED_COLUMNS, "Qty", "Location"]


def test_allowing_a_denied_column_stops_start_up(settings):
    settings.BUZ_EXPORT_EXTRA_COLUMNS = ["Qty", "SupplierPriceEach"]
    errors = [e for e in run_checks() if e.id == "reports.E001"]
    assert len(errors) == 1 and "SupplierPriceEach" in errors[0].msg


# --- CSV ------------------------------------------------------------------------------------


@responses.activate
def test_csv_has_a_bom_the_header_and_rows_in_the_pages_order(client, customer):
    responses.get(
        DD_JOBS,
        json={
            "value": [
                line(ref="2", n="10", when="2026-12-20T00:00:00Z"),
                line(ref="2", n=2, when="2026-12-20T00:00:00Z"),
                line(ref="3", n=1, when=None),
                line(ref="1", n=1, when="2026-12-05T14:30:00.000Z"),  # 6 Dec in Sydney
            ]
        },
    )
    response = download(client, customer, "csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response.streaming
    rows = csv_rows(response)
    assert rows[0] == HEADER
    assert [(r[0], r[1], r[7]) for r in rows[1:]] == [
        ("1", "06 Dec 2026", "1"),  # the old app's two-digit day
        ("2", "20 Dec 2026", "2"),
        ("2", "20 Dec 2026", "10"),
        ("3", "", "1"),
    ]
    assert rows[1][2:7] == ["Sewing", "Curtains", "Wave Curtain", "Smith - upstairs", "DD"]
    # First seen now, never moved: the first promise is today's date, no change date.
    assert rows[1][8:10] == ["06 Dec 2026", ""]
    assert rows[1][10] == ""  # LikelyBy: no forecast yet (too few finished orders)
    assert rows[1][11:] == ["Northside Window Co", "2", "Bed 2"]


@responses.activate
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_costs_keys_notes_barcodes_and_unknown_fields_never_leave(client, customer, fmt):
    responses.get(DD_JOBS, json={"value": [line()]})
    response = download(client, customer, fmt)
    if fmt == "csv":
        cells = [cell for row in csv_rows(response) for cell in row]
    else:
        cells = [str(c.value) for row in xlsx_sheet(response).iter_rows() for c in row]
    for name, value in SECRETS.items():
        assert name not in cells and str(value) not in cells


FORMULAS = ['=HYPERLINK("http://evil")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]


@responses.activate
@pytest.mark.parametrize("payload", FORMULAS)
def test_csv_cells_that_could_be_formulas_are_neutralised(client, customer, payload):
    responses.get(DD_JOBS, json={"value": [line(descn=payload, item=payload, Location=payload)]})
    row = csv_rows(download(client, customer, "csv"))[1]
    for column in ("InventoryItem", "Descn", "Location"):
        # Upstream text is trimmed, so "\t=1" arrives as "=1" and is neutralised as such.
        assert row[HEADER.index(column)] == "'" + payload.strip()


@responses.activate
@pytest.mark.parametrize("payload", FORMULAS)
def test_xlsx_cells_that_could_be_formulas_are_neutralised(client, customer, payload):
    responses.get(DD_JOBS, json={"value": [line(descn=payload, status=payload)]})
    sheet = xlsx_sheet(download(client, customer, "xlsx"))
    for column in ("ProductionStatus", "Descn"):
        cell = sheet.cell(row=2, column=HEADER.index(column) + 1)
        assert cell.data_type == "s"
        assert cell.value == "'" + payload.strip()


# --- XLSX ---------------------------------------------------------------------------------------


@responses.activate
def test_xlsx_has_a_bold_frozen_header_real_dates_and_numbers(client, customer):
    responses.get(DD_JOBS, json={"value": [line(n="3"), line(ref="9", when=None)]})
    response = download(client, customer, "xlsx")
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = xlsx_sheet(response)
    assert sheet.title == "Report"  # the old app's sheet name
    assert [c.value for c in sheet[1]] == HEADER
    assert all(c.font.b for c in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["E"].width >= 20
    date_cell = sheet.cell(row=2, column=2)
    assert date_cell.is_date and date_cell.value.date().isoformat() == "2026-12-08"
    assert date_cell.number_format == "dd mmm yyyy"
    assert sheet.cell(row=3, column=2).value is None  # unknown date: empty
    assert sheet.cell(row=2, column=8).value == 3 and sheet.cell(row=2, column=8).data_type == "n"
    first_promised = sheet.cell(row=2, column=9)
    assert first_promised.is_date and first_promised.number_format == "dd mmm yyyy"
    assert sheet.cell(row=2, column=10).value is None  # never moved
    assert sheet.cell(row=2, column=13).value == 2  # Qty as a number


# --- filters, names, empty, bad input ---------------------------------------------------------------


@responses.activate
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize(
    ("query", "refs"),
    [
        ({"status": "being MADE"}, ["1"]),
        ({"group": "awnings"}, ["2"]),
        ({"supplier": "dd"}, ["1", "2"]),
        ({"supplier": "CBR"}, []),
        ({"status": "no such status"}, []),
    ],
)
def test_filters_work_like_the_page(client, customer, fmt, query, refs):
    StatusMapping.objects.create(odata_status="Sewing", custom_status="Being made")
    responses.get(DD_JOBS, json={"value": [line(ref="1"), line(ref="2", status="Packed", group="Awnings")]})
    response = download(client, customer, fmt, **query)
    if fmt == "csv":
        rows = csv_rows(response)
        header, body = rows[0], rows[1:]
    else:
        values = [[c.value for c in row] for row in xlsx_sheet(response).iter_rows()]
        header, body = values[0], values[1:]
    assert header == HEADER
    assert [str(r[0]) for r in body] == refs
    if "status" in query and refs:
        assert body[0][2] == "Being made"  # the mapped name, as on the page


@responses.activate
def test_an_empty_report_exports_just_the_header(client, customer):
    responses.get(DD_JOBS, json={"value": []})
    assert csv_rows(download(client, customer, "csv")) == [HEADER]
    assert [[c.value for c in row] for row in xlsx_sheet(download(client, customer, "xlsx")).iter_rows()] == [HEADER]


@responses.activate
def test_file_names_carry_the_customer_and_the_business_date(client, customer, make_customer):
    responses.get(DD_JOBS, json={"value": []})
    with time_machine.travel(datetime(2026, 11, 23, 23, 30, tzinfo=SYDNEY), tick=False):  # still 23 Nov here
        response = download(client, customer, "xlsx")
    # The customer's capitals kept, as in the old app's file names.
    assert response["Content-Disposition"] == ('attachment; filename="Northside-Window-Co-open-orders-2026-11-23.xlsx"')
    evil = make_customer(display_name='Evil"\r\nSet-Cookie: a=b; ../x', dd_name="Evil")
    header = client.get(f"/{evil.obfuscated_id}/download.csv")["Content-Disposition"]
    assert header == 'attachment; filename="Evil-Set-Cookie-a-b-x-open-orders-2026-11-23.csv"'


@pytest.mark.parametrize("path", ["download.pdf", "download.exe", "download.", "download.csv/x"])
def test_unknown_formats_are_404(client, customer, path):
    assert client.get(f"/{customer.obfuscated_id}/{path}").status_code == 404


def test_unknown_customer_download_is_404(client, db):
    assert client.get("/nobody-at-all-here/download.csv").status_code == 404


def test_absurd_query_strings_are_400(client, customer):
    assert download(client, customer, "csv", status="x" * 1000).status_code == 400
    assert client.get(f"/{customer.obfuscated_id}/download.csv?" + "a=b&" * 1000).status_code == 400


@responses.activate
def test_etas_prefix_works_too(client, customer):
    responses.get(DD_JOBS, json={"value": [line()]})
    assert client.get(f"/etas/{customer.obfuscated_id}/download.csv").status_code == 200


@responses.activate
def test_head_and_repeated_downloads_do_not_refetch(client, customer):
    responses.get(DD_JOBS, json={"value": [line()]})
    head = client.head(f"/{customer.obfuscated_id}/download.csv")
    assert head.status_code == 200 and len(responses.calls) == 0  # HEAD never calls upstream
    assert "attachment" in head["Content-Disposition"]
    download(client, customer, "csv")
    download(client, customer, "csv")
    download(client, customer, "xlsx")
    assert len(responses.calls) == 1


@responses.activate
def test_the_page_links_to_both_exports_with_its_filters(client, customer, open_report):
    responses.get(DD_JOBS, json={"value": [line()]})
    page = open_report(client, f"/{customer.obfuscated_id}", {"status": "Sewing"}).content.decode()
    assert f'href="/{customer.obfuscated_id}/download.csv?status=Sewing"' in page
    assert f'href="/{customer.obfuscated_id}/download.xlsx?status=Sewing"' in page


def test_a_report_with_no_data_and_no_recorded_error_is_unavailable_not_a_crash(customer):
    from odata.services import FetchResult, Source
    from odata.targets import FetchTarget
    from reports.report import ReportUnavailable, report_from_results

    with pytest.raises(ReportUnavailable) as caught:
        report_from_results(customer=customer, results=[FetchResult(FetchTarget("DD", "x", False), Source.NONE)])
    assert caught.value.http_status == 502


@responses.activate
def test_xlsx_dates_are_each_rows_own_across_orders_and_gaps(client, customer):
    rows = [line(ref="1", when="2026-12-01T00:00:00Z"), line(ref="2", when=None), line(ref="3", when="2027-01-15")]
    responses.get(DD_JOBS, json={"value": rows})
    sheet = xlsx_sheet(download(client, customer, "xlsx"))
    shown = [(sheet.cell(row=r, column=1).value, sheet.cell(row=r, column=2).value) for r in range(2, 5)]
    assert [(ref, when.date().isoformat() if when else None) for ref, when in shown] == [
        ("1", "2026-12-01"),
        ("3", "2027-01-15"),
        ("2", None),
    ]
