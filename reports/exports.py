"""CSV and XLSX exports of a report: allow-listed columns, neutralised cells, constant memory.

An export is data leaving the company. Columns pass two guards: an explicit
allow-list (the fixed columns plus BUZ_EXPORT_EXTRA_COLUMNS) and a deny
pattern that stops costs, prices, margins, internal keys, notes and
barcodes whatever upstream calls them, even if someone allows them.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from functools import partial
from typing import IO, Any

from django.conf import settings
from django.http import FileResponse, HttpRequest, HttpResponse
from django.utils.cache import get_conditional_response
from django.utils.http import content_disposition_header, http_date
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from lib.clock import business_today
from orders.rules import OrderBlock, ReportLine, line_number, text
from orders.wording import export_date
from reports.kept_exports import export_key, kept_export

EXPORT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

# The fixed columns, in order, and how each is read from an order and one of its lines.
FIXED_VALUES: dict[str, Callable[[OrderBlock, ReportLine], Any]] = {
    "RefNo": lambda order, line: order.ref_no,
    "DateScheduled": lambda order, line: order.eta,
    "ProductionStatus": lambda order, line: line.status,
    "ProductionLine": lambda order, line: line.group,
    "InventoryItem": lambda order, line: line.item,
    "Descn": lambda order, line: line.descn,
    "Instance": lambda order, line: order.instance,
    "FixedLine": lambda order, line: _number(line.fields.get("FixedLine")),
    # ETA history: the first date ever promised, and the day the date last moved.
    "FirstPromised": lambda order, line: order.first_promised,
    "EtaChangedAt": lambda order, line: order.eta_changed_on,
    # The date the factory's own record says to plan on (history.forecast); left out unless public.
    "LikelyBy": lambda order, line: order.likely_by,
}
FIXED_COLUMNS = tuple(FIXED_VALUES)
# Matched against the name lower-cased with everything but letters and digits removed.
DENIED_COLUMN = re.compile(
    r"cost|price|margin|markup|wholesale|buy|cogs|profit|rrp|discount|rebate|commission|"
    r"pkid|guid|uuid|key|id$|note|barcode|internal|secret|password|token"
)
# A cell a spreadsheet could run as a formula (or DDE command).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
COLUMN_WIDTHS = {
    "RefNo": 10,
    "DateScheduled": 14,
    "ProductionStatus": 22,
    "ProductionLine": 18,
    "InventoryItem": 34,
    "Descn": 30,
    "Instance": 9,
    "FixedLine": 9,
    "FirstPromised": 14,
    "EtaChangedAt": 14,
    "LikelyBy": 14,
}
DATE_COLUMNS = ("DateScheduled", "FirstPromised", "EtaChangedAt", "LikelyBy")
EXCEL_DAY_ZERO = date(1899, 12, 30)  # Excel's day 0 (its 1900 leap-year bug folded in)
NUMERIC_COLUMNS = {"Qty"}  # upstream fields exported as numbers


def is_denied(column: str) -> bool:
    return bool(DENIED_COLUMN.search(re.sub(r"[^a-z0-9]", "", column.lower())))


def export_columns(extra: Iterable[str] | None = None) -> list[str]:
    """The fixed columns, then each allowed extra column that passes the deny pattern."""
    extra = settings.BUZ_EXPORT_EXTRA_COLUMNS if extra is None else extra
    columns = [c for c in FIXED_COLUMNS if c != "LikelyBy" or settings.BUZ_FORECAST_PUBLIC]
    for name in extra:
        if name not in columns and not is_denied(name):
            columns.append(name)
    return columns


def neutralise(value: str) -> str:
    """A leading quote stops a spreadsheet reading the cell as a formula."""
    return "'" + value if value.startswith(FORMULA_START) else value


def _number(value: Any) -> Any:
    number = line_number(value)
    return int(number) if isinstance(number, float) and number.is_integer() else number


def _value(column: str, order: OrderBlock, line: ReportLine) -> Any:
    if column in FIXED_VALUES:
        return FIXED_VALUES[column](order, line)
    if column in NUMERIC_COLUMNS:
        return _number(line.fields.get(column))
    return text(line.fields.get(column))


def export_rows(orders: Iterable[OrderBlock], columns: list[str]) -> Iterator[list[Any]]:
    """One row per line, in the page's order, as typed values (dates, numbers, text)."""
    for order in orders:
        for line in order.lines:
            yield [_value(column, order, line) for column in columns]


def export_filename(customer_name: str, extension: str) -> str:
    """`<Customer-Name>-open-orders-<YYYY-MM-DD>.<ext>`, dated in the business time zone; header-safe.

    The customer's name keeps its capitals, as the old app's files did (macros open them by name)."""
    today = business_today()
    ascii_name = unicodedata.normalize("NFKD", customer_name).encode("ascii", "ignore").decode()
    name = re.sub(r"[^A-Za-z0-9]+", "-", ascii_name).strip("-") or "customer"
    return f"{name[:60]}-open-orders-{today.isoformat()}.{extension}"


# --- CSV ---------------------------------------------------------------------------------


class _Line:
    """csv.writer writes into this and hands the text straight back, for streaming."""

    def write(self, value: str) -> str:
        return value


def _csv_cell(value: Any) -> str:
    if isinstance(value, date):
        return export_date(value)
    if value is None:
        return ""
    return neutralise(str(value))


def csv_chunks(orders: Iterable[OrderBlock], columns: list[str]) -> Iterator[str]:
    """The CSV a line at a time: UTF-8 with a BOM (Excel's cue), header first."""
    writer = csv.writer(_Line())
    yield "\ufeff" + writer.writerow(columns)
    for row in export_rows(orders, columns):
        yield writer.writerow([_csv_cell(value) for value in row])


# --- XLSX -----------------------------------------------------------------------------------


def xlsx_write(orders: Iterable[OrderBlock], columns: list[str], output: IO[bytes]) -> None:
    """The workbook into `output`, in openpyxl's write-only (streaming) mode."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Report")  # the old app's sheet name: macros and lookups use it
    sheet.freeze_panes = "A2"
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = COLUMN_WIDTHS.get(column, 14)

    bold = Font(bold=True)
    header = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=column)
        cell.font = bold
        header.append(cell)
    sheet.append(header)

    # One styled cell per date column, reused row after row (write-only rows are written out as
    # they are appended), holding Excel's day number: no per-cell style or date conversion.
    date_cells = {}
    for name in DATE_COLUMNS:
        if name in columns:
            date_cells[columns.index(name)] = cell = WriteOnlyCell(sheet)
            cell.number_format = "dd mmm yyyy"
    for row in export_rows(orders, columns):
        # A blank is no cell at all (openpyxl writes nothing for None), not an empty string.
        values: list[Any] = [(neutralise(v) if v else None) if isinstance(v, str) else v for v in row]
        for index, cell in date_cells.items():
            if values[index] is not None:
                cell.value = (values[index] - EXCEL_DAY_ZERO).days
                values[index] = cell
        sheet.append(values)
    workbook.save(output)


# --- the download ---------------------------------------------------------------------------------


def export_response(request: HttpRequest, fmt: str, report: Any, *, customer: Any) -> HttpResponse:
    """The download: built once per data version, format, filters and columns, then sent from its
    kept file (reports.kept_exports); a browser that has it gets a 304. With no report (HEAD) the headers alone."""
    filename = export_filename(customer.display_name, fmt)
    if report is None:
        response: HttpResponse = HttpResponse(content_type=EXPORT_TYPES[fmt])
    else:
        columns = export_columns()
        key = export_key(report, fmt, columns)
        etag = f'"{key[:40]}"'
        modified = report.data_as_of.timestamp() if report.data_as_of else None
        response = get_conditional_response(request, etag=etag, last_modified=modified)
        if response is None:
            kept = kept_export(customer.pk, key, fmt, partial(_write, fmt, report.visible_orders, columns))
            response = FileResponse(kept, content_type=EXPORT_TYPES[fmt])  # it closes the file when sent
        response["ETag"] = etag
        if modified:
            response["Last-Modified"] = http_date(modified)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    # Private, and checked again each time: the browser may keep it, the data may change.
    response["Cache-Control"] = "private, no-cache"
    return response


def _write(fmt: str, orders: list[OrderBlock], columns: list[str], output: IO[bytes]) -> None:
    if fmt == "csv":
        for chunk in csv_chunks(orders, columns):
            output.write(chunk.encode())
    else:
        xlsx_write(orders, columns, output)
