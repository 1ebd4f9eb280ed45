from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
import requests
import time_machine

from odata.simulator.dataset import CUSTOMERS, GROUPS, build_dataset, slip_dates
from odata.simulator.filters import FilterError, parse_filter
from odata.simulator.server import SimulatorConfig, serve_in_thread

ROWS = [
    {"Customer": "O'Brien's", "Status": "Cut", "N": 1},
    {"Customer": "Acme", "Status": None, "N": 2},
    {"Customer": "Zed", "Status": "Packed", "N": 3},
]


def matching(expr: str) -> list[int]:
    predicate = parse_filter(expr)
    return [row["N"] for row in ROWS if predicate(row)]


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("Customer eq 'O''Brien''s'", [1]),
        ("Status ne null", [1, 3]),
        ("Status eq null", [2]),
        ("Customer in ('Acme', 'Zed')", [2, 3]),
        ("Customer in ('Acme','Zed') and Status ne null", [3]),
        ("(Status ne null) and (N eq 1)", [1]),
        ("Missing eq null", [1, 2, 3]),
        ("Customer eq 'acme'", []),  # string comparison is exact
    ],
)
def test_filter_subset_selects_the_right_rows(expr, expected):
    assert matching(expr) == expected


@pytest.mark.parametrize(
    "expr",
    ["Customer eq", "Customer gt 'a'", "Customer eq 'unterminated", "Customer in ()", "eq 'a'", "A eq 'a' or B eq 'b'"],
)
def test_filters_outside_the_subset_are_rejected(expr):
    with pytest.raises(FilterError):
        parse_filter(expr)


def test_dataset_is_deterministic_and_factory_like():
    first = build_dataset(today=date(2026, 11, 23))
    assert first.jobs == build_dataset(today=date(2026, 11, 23)).jobs
    all_rows = first.jobs["DESDR"] + first.jobs["WATSO"]
    orders = {(r["RefNo"], r["Customer"]) for r in all_rows}
    assert len(CUSTOMERS) >= 28
    assert len(orders) >= 300
    assert {r["ProductionLine"] for r in all_rows} >= {"Roller Blinds", "Curtains", "Shutters", "Awnings"}
    assert any(r["DateScheduled"] is None for r in all_rows)
    assert all(k in all_rows[0] for k in ("CostPrice", "Margin", "PkId", "Notes", "BarcodeNo"))
    # The same RefNo exists in both accounts as two different orders.
    assert {r["RefNo"] for r in first.jobs["DESDR"]} & {r["RefNo"] for r in first.jobs["WATSO"]}
    # Both groups are listed in SalesReport with their members.
    for group, members in GROUPS.items():
        listed = {r["Customer"] for rows in first.sales.values() for r in rows if r["CustomerGroup"] == group}
        assert listed == set(members)


def test_etas_spread_over_the_weeks_after_today():
    data = build_dataset(today=date(2026, 11, 23))
    dates = {r["DateScheduled"][:10] for r in data.jobs["DESDR"] if r["DateScheduled"]}
    assert min(dates) >= "2026-11-20"
    assert len({d[:7] for d in dates}) >= 2  # more than one month


@pytest.fixture
def sim():
    server = serve_in_thread(SimulatorConfig(username="u", password="p", today=date(2026, 11, 23), page_size=40))
    yield server
    server.shutdown()
    server.server_close()


def test_requests_without_the_right_login_get_401(sim):
    url = f"{sim.root_url}/DESDR/JobsScheduleDetailed"
    assert requests.get(url, timeout=5).status_code == 401
    assert requests.get(url, auth=("u", "wrong"), timeout=5).status_code == 401
    assert requests.get(url, auth=("u", "p"), timeout=5).status_code == 200


def test_paging_with_next_link_returns_every_row_once(sim):
    url = f"{sim.root_url}/WATSO/JobsScheduleDetailed?$filter=ProductionStatus ne null"
    seen, pages = [], 0
    while url:
        body = requests.get(url, auth=("u", "p"), timeout=5).json()
        seen += [r["PkId"] for r in body["value"]]
        url = body.get("@odata.nextLink")
        pages += 1
    expected = [r["PkId"] for r in sim.dataset.jobs["WATSO"] if r["ProductionStatus"] is not None]
    assert seen == expected
    assert pages == -(-len(expected) // 40)


def test_top_and_skip(sim):
    url = f"{sim.root_url}/DESDR/JobsScheduleDetailed"
    body = requests.get(url, params={"$top": "5", "$skip": "3"}, auth=("u", "p"), timeout=5).json()
    assert [r["PkId"] for r in body["value"]] == [r["PkId"] for r in sim.dataset.jobs["DESDR"][3:8]]
    assert "@odata.nextLink" not in body


@pytest.mark.parametrize(
    ("path", "params", "status"),
    [
        ("/DESDR/Nope", {}, 404),
        ("/ELSEWHERE/JobsScheduleDetailed", {}, 404),
        ("/DESDR/JobsScheduleDetailed", {"$filter": "Customer gt 'a'"}, 400),
        ("/DESDR/JobsScheduleDetailed", {"$top": "-1"}, 400),
    ],
)
def test_bad_requests_get_odata_errors(sim, path, params, status):
    response = requests.get(sim.root_url + path, params=params, auth=("u", "p"), timeout=5)
    assert response.status_code == status
    assert "error" in response.json()


def test_sales_report_lists_group_members(sim):
    response = requests.get(
        f"{sim.root_url}/DESDR/SalesReport",
        params={"$filter": "CustomerGroup eq 'Harbour Trade Alliance' and Order_Status eq 'Work in Progress'"},
        auth=("u", "p"),
        timeout=5,
    )
    assert {r["Customer"] for r in response.json()["value"]} == {
        "Harbour Blinds & Shutters",
        "O'Brien's Curtains",
        "Bayside Interiors",
    }


def test_blackout_window_answers_503_inside_and_not_outside():
    sydney = ZoneInfo("Australia/Sydney")
    server = serve_in_thread(SimulatorConfig(blackout=(time(10), time(16)), today=date(2026, 11, 23)))
    try:
        assert server.in_blackout(datetime(2026, 11, 23, 10, 0, tzinfo=sydney))
        assert server.in_blackout(datetime(2026, 11, 23, 15, 59, 59, tzinfo=sydney))
        assert not server.in_blackout(datetime(2026, 11, 23, 9, 59, 59, tzinfo=sydney))
        assert not server.in_blackout(datetime(2026, 11, 23, 16, 0, tzinfo=sydney))
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(("local_time", "status"), [(time(11, 0), 503), (time(17, 0), 200)])
def test_blackout_refuses_requests_inside_the_window(local_time, status):
    sydney = ZoneInfo("Australia/Sydney")
    server = serve_in_thread(SimulatorConfig(blackout=(time(10), time(16)), today=date(2026, 11, 23)))
    try:
        with time_machine.travel(datetime.combine(date(2026, 11, 23), local_time, tzinfo=sydney), tick=True):
            response = requests.get(f"{server.root_url}/DESDR/SalesReport", auth=("buzeta", "demo"), timeout=5)
        assert response.status_code == status
    finally:
        server.shutdown()
        server.server_close()


def test_slipping_moves_the_same_orders_each_time_and_keeps_to_the_customers_asked_about():
    def moves(among=frozenset()):
        data = build_dataset(today=date(2026, 11, 23))
        return data, slip_dates(data, seed=1, round_no=3, orders=4, among=among)

    data, moved = moves()
    assert moved == moves()[1] and len(moved) == 4  # deterministic by seed and round
    assert {days > 0 for _, _, days in moved} == {True, False}  # later, and brought forward
    _, ours = moves(frozenset({"Northside Window Co"}))
    customers = {row["RefNo"]: row["Customer"] for row in data.jobs["DESDR"]}
    assert ours and all(account == "DESDR" and customers[ref] == "Northside Window Co" for account, ref, _ in ours)


def test_the_simulator_learns_which_customers_are_asked_about(sim):
    url = f"{sim.root_url}/DESDR/JobsScheduleDetailed"
    requests.get(url, params={"$filter": "Customer eq 'O''Brien''s Curtains'"}, auth=("u", "p"), timeout=5)
    assert "O'Brien's Curtains" in sim.asked_customers
