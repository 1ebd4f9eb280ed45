from __future__ import annotations

from datetime import date

import pytest
from django.conf import settings

from orders.filters import ReportFilters, filter_options, filter_orders
from orders.rules import (
    Memo,
    build_orders,
    calendar_date,
    format_date,
    order_facts,
    order_rows_attach,
    rows_said,
    said_facts,
    text,
)
from tests.conftest import SYDNEY, order_line

# The default finished statuses (README, "The report"): the settings' own list.
FINISHED = settings.BUZ_FINISHED_STATUSES


def row(ref="100", line=1, status="In Production", when="2026-12-08T00:00:00Z", instance="DD", **extra):
    """A tagged row (as reports see them) in this file's short words: group, item, descn."""
    renamed = {"ProductionLine": "group", "InventoryItem": "item", "Descn": "descn"}
    fields = {upstream: extra.pop(short) for upstream, short in renamed.items() if short in extra}
    return order_line(
        Instance=instance, RefNo=ref, FixedLine=line, ProductionStatus=status, DateScheduled=when, **fields, **extra
    )


def build(rows, names=None):
    return build_orders(rows, status_names=names or {}, finished_statuses=FINISHED, tz=SYDNEY)


def test_every_line_gets_the_orders_latest_date_in_mixed_spellings():
    orders = build(
        [
            row(line=1, when="2026-12-08T00:00:00Z"),
            row(line=2, when="2026-12-10T00:00:00.000Z"),
            row(line=3, when="2026-12-09T09:00:00+10:00"),
        ]
    )
    assert [o.eta for o in orders] == [date(2026, 12, 10)]
    assert orders[0].eta_display == "10 Dec 2026"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2026-12-08T00:00:00Z", date(2026, 12, 8)),
        ("2026-12-08T00:00:00.000Z", date(2026, 12, 8)),
        # 14:30 UTC is already the next morning in Sydney (UTC+11 in summer).
        ("2026-12-08T14:30:00Z", date(2026, 12, 9)),
        ("2026-12-08T14:30:00.000Z", date(2026, 12, 9)),
        ("2026-12-09T01:00:00+10:00", date(2026, 12, 9)),
        ("2026-12-08", date(2026, 12, 8)),
        ("2026-12-08T12:00:00", date(2026, 12, 8)),  # no offset: UTC by contract
        # Winter (UTC+10): 13:59 UTC is 23:59 the same day, 14:00 is the next.
        ("2026-06-08T13:59:00Z", date(2026, 6, 8)),
        ("2026-06-08T14:00:00Z", date(2026, 6, 9)),
        ("", None),
        (None, None),
        ("next Tuesday", None),
    ],
)
def test_calendar_date_is_taken_in_the_business_time_zone(raw, expected):
    assert calendar_date(raw, SYDNEY) == expected


def test_dates_read_the_same_whatever_the_locale():
    assert format_date(date(2026, 12, 12)) == "12 Dec 2026"
    assert format_date(date(2027, 1, 5)) == "5 Jan 2027"
    assert format_date(None) == ""


def test_an_order_is_instance_and_refno_so_dd_and_cbr_stay_apart():
    orders = build([row(ref="512877", instance="DD"), row(ref="512877", instance="CBR")])
    assert sorted((o.instance, o.ref_no) for o in orders) == [("CBR", "512877"), ("DD", "512877")]


def test_orders_sort_by_date_soonest_first_then_undated_then_refno():
    orders = build(
        [
            row(ref="30", when=None),
            row(ref="20", when="2026-12-20T00:00:00Z"),
            row(ref="9", when="2026-12-05T00:00:00Z"),
            row(ref="100", when="2026-12-05T00:00:00Z"),
            row(ref="5", when=None),
        ]
    )
    assert [o.ref_no for o in orders] == ["9", "100", "20", "5", "30"]
    assert orders[-1].eta is None and orders[-1].eta_display == ""


def test_lines_sort_by_fixed_line_as_a_number_and_missing_shows_blank():
    orders = build(
        [
            row(line="10", item="ten"),
            row(line=2, item="two"),
            row(line=None, item="none"),
            row(line=" 1 ", item="one"),
            row(line=float("nan"), item="nan"),
            row(line=3.0, item="three"),
        ]
    )
    lines = orders[0].lines
    assert [line.item for line in lines][:4] == ["one", "two", "three", "ten"]
    assert [line.line_no for line in lines] == ["1", "2", "3", "10", "", ""]


def test_missing_values_show_blank_never_nan_or_none():
    orders = build([row(descn=None, group=float("nan"), item=None, status="In Production")])
    line = orders[0].lines[0]
    assert (line.descn, line.group, line.item) == ("", "", "")
    assert text(float("nan")) == "" and text(None) == ""


def test_duplicate_lines_appear_once():
    duplicate = row(line=1)
    orders = build([duplicate, dict(duplicate), row(line=1, when="2026-12-08T00:00:00.000Z"), row(line=2)])
    assert [line.line_no for line in orders[0].lines] == ["1", "2"]


def test_lines_differing_in_status_are_not_duplicates():
    orders = build([row(line=1, status="Cutting"), row(line=1, status="Sewing")])
    assert len(orders[0].lines) == 2


def test_finished_orders_are_hidden_and_partly_finished_ones_shown():
    orders = build(
        [
            row(ref="1", status="Invoiced"),
            row(ref="1", line=2, status="CANCELLED"),
            row(ref="2", status="Invoice ex GST Fees - Actioned in Xero"),
            row(ref="2", line=2, status=""),  # an empty status does not keep an order open
            row(ref="3", status="Cancelled"),
            row(ref="3", line=2, status="In Production"),
        ]
    )
    assert [o.ref_no for o in orders] == ["3"]
    assert [line.raw_status for line in orders[0].lines] == ["Cancelled", "In Production"]


def test_finished_statuses_come_from_configuration():
    rows = [row(ref="1", status="Dispatched")]
    assert build_orders(rows, status_names={}, finished_statuses=["dispatched"], tz=SYDNEY) == []
    assert len(build_orders(rows, status_names={}, finished_statuses=[], tz=SYDNEY)) == 1


def test_active_status_mapping_renames_status():
    orders = build([row(status="Fabric Cut")], names={"Fabric Cut": "Being made"})
    assert orders[0].lines[0].status == "Being made"
    assert orders[0].lines[0].raw_status == "Fabric Cut"


def test_finished_rule_uses_raw_status_even_when_mapped():
    orders = build([row(status="Invoiced")], names={"Invoiced": "Delivered"})
    assert orders == []


def test_rows_without_refno_are_dropped_with_a_log_line(caplog):
    orders = build([row(ref=None), row(ref="  "), row(ref="7")])
    assert [o.ref_no for o in orders] == ["7"]
    assert "dropped 2 upstream rows" in caplog.text


# Every shape the rows come in: clean, a field missing, an unhashable value, numbers and padding for RefNo.
AWKWARD_ROWS = [
    row(ref="100", when="2026-12-08T00:00:00Z"),
    row(ref=100, when="2026-12-09T23:30:00Z", status="Invoiced"),  # 10 Dec in Sydney
    row(ref=" 100 ", when="garbage"),
    row(ref="200", status="Invoiced"),
    row(ref="200", status=None, when=None),
    row(ref="300", when=["2026-12-20"]),
    {"RefNo": "400", "DateScheduled": "2026-12-01"},  # no status, no instance, no line
    row(ref=None),
    row(ref="500", instance="CBR"),
]


@pytest.mark.parametrize("instance", [None, "DD"])
@pytest.mark.parametrize("shapes", [AWKWARD_ROWS[:1] + AWKWARD_ROWS[3:4], AWKWARD_ROWS], ids=["clean", "awkward"])
def test_the_facts_from_what_rows_say_are_the_facts_from_the_rows(instance, shapes):
    rows = shapes if instance is None else [{k: v for k, v in r.items() if k != "Instance"} for r in shapes]
    rules = {"tz": SYDNEY, "finished_statuses": FINISHED, "instance": instance}
    facts = {
        with_rows: {(o.instance, o.ref_no): (o.eta, o.finished) for o in found}
        for with_rows, found in (
            (True, order_facts(rows, **rules)),
            (False, said_facts(rows_said(rows, instance=instance), texts=Memo(text), **rules)),
        )
    }
    assert facts[True] == facts[False] and len(facts[True]) >= 2
    if len(shapes) > 2:
        assert facts[True][("DD", "100")] == (date(2026, 12, 10), False)


@pytest.mark.parametrize("instance", [None, "DD"])
def test_rows_are_attached_to_the_orders_asked_for_whatever_the_spelling_of_their_number(instance):
    rows = AWKWARD_ROWS if instance is None else [{k: v for k, v in r.items() if k != "Instance"} for r in AWKWARD_ROWS]
    texts = Memo(text)
    said = rows_said(rows, instance=instance)
    facts = said_facts(said, tz=SYDNEY, finished_statuses=FINISHED, instance=instance, texts=texts)
    wanted = [o for o in facts if o.ref_no in {"100", "300"}]
    order_rows_attach(rows, wanted, instance=instance, texts=texts)
    by_ref = {o.ref_no: o.rows for o in facts}
    assert by_ref["100"] == rows[:3] and by_ref["300"] == [rows[5]]
    assert by_ref["200"] == [] and by_ref.get("400", []) == []


def test_numeric_refno_from_upstream_is_shown_without_decimals():
    assert build([row(ref=512877.0)])[0].ref_no == "512877"


def test_header_reference_is_the_first_descn_present():
    orders = build([row(line=1, descn=""), row(line=2, descn="Smith - upstairs")])
    assert orders[0].descn == "Smith - upstairs"


def test_filters_are_exact_and_case_insensitive_and_drop_empty_orders():
    orders = build(
        [
            row(ref="1", status="Cutting", group="Curtains"),
            row(ref="1", line=2, status="Packed", group="Curtains"),
            row(ref="2", status="Packed", group="Shutters", instance="CBR"),
        ],
        names={"Packed": "Ready"},
    )
    by_status = filter_orders(orders, ReportFilters.from_values(status=["READY"]))
    assert [(o.ref_no, [line.line_no for line in o.lines]) for o in by_status] == [("1", ["2"]), ("2", ["1"])]
    assert filter_orders(orders, ReportFilters.from_values(status=["Packed"])) == []  # raw name no longer shown
    assert filter_orders(orders, ReportFilters.from_values(status=["Read"])) == []  # exact, not contains
    assert [o.ref_no for o in filter_orders(orders, ReportFilters.from_values(supplier=["cbr"]))] == ["2"]
    assert [o.ref_no for o in filter_orders(orders, ReportFilters.from_values(group=["curtains"]))] == ["1"]
    assert len(orders[0].lines) == 2  # filtering never changes the report itself


def test_filter_options_list_what_the_report_holds():
    orders = build([row(status="Cutting", group="Curtains"), row(ref="2", instance="CBR", group="Awnings")])
    assert filter_options(orders) == {
        "status": ["Cutting", "In Production"],
        "group": ["Awnings", "Curtains"],
        "supplier": ["CBR", "DD"],
    }
