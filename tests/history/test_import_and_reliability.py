"""import_eta_history, forecast_backtest and promise reliability (interface §13), as operators and staff use them."""

from __future__ import annotations

from datetime import date, timedelta
from io import StringIO

import pytest
from django.test import Client

from audit.models import AuditEvent
from buzeta.operations.demo import demo_history_rows, history_seed_demo
from history.forecast import backtest
from history.models import OrderEta
from history.reliability import promise_reliability
from history.selectors import customer_orders
from lib.clock import business_today
from tests.conftest import TEST_ACTOR, run_command

pytestmark = pytest.mark.django_db

HEADER = "Instance,RefNo,ProductionLine,FirstPromised,Done,Customer\n"


def a_file(tmp_path, text: str, name="history.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def days_ago(n: int) -> str:
    return (business_today() - timedelta(days=n)).isoformat()


def good_rows(n=3) -> str:
    return "".join(
        f"DD,40{i:04d},Shutters,{days_ago(30 + i)},{days_ago(25 + i)},Northside Window Co\n" for i in range(n)
    )


# --- import_eta_history --------------------------------------------------------------------------------


def test_a_good_file_is_recorded_as_finished_orders_and_audited(tmp_path):
    output, code = run_command("import_eta_history", a_file(tmp_path, HEADER + good_rows(3)))
    assert code == 0 and "3 orders added" in output
    order = OrderEta.objects.get(ref_no="400000")
    assert (order.instance, order.production_line, order.customer_name) == ("DD", "Shutters", "Northside Window Co")
    assert order.first_eta == date.fromisoformat(days_ago(30)) and order.done_on == date.fromisoformat(days_ago(25))
    assert order.closed_at is not None and not order.changes.exists()
    [event] = AuditEvent.objects.filter(action=AuditEvent.Action.IMPORTED_HISTORY)
    assert event.actor_name.startswith("import_eta_history") and "3 rows from history.csv" in event.summary


def test_the_same_file_twice_changes_nothing(tmp_path):
    path = a_file(tmp_path, HEADER + good_rows(3) + good_rows(1))  # a repeated row counts once
    run_command("import_eta_history", path)
    output, code = run_command("import_eta_history", path)
    assert code == 0 and "0 orders added, 0 updated, 3 already so" in output
    assert OrderEta.objects.count() == 3


def test_bad_rows_are_listed_by_line_and_nothing_is_imported(tmp_path):
    text = (
        HEADER
        + good_rows(2)
        + "XX,1,Shutters,2026-01-01,2026-01-05,\n"  # line 4
        + "DD,2,Shutters,2026-13-01,2026-01-05,\n"  # line 5
        + f"DD,3,Shutters,{days_ago(5)},{(business_today() + timedelta(days=3)).isoformat()},\n"  # line 6
        + "DD,,Shutters,2026-01-01,2026-01-05,\n"  # line 7
        + "DD,400000,Curtains,2026-01-01,2026-01-05,Northside Window Co\n"  # line 8: line 2's order, other values
        + "DD,5,Shutters,1926-01-01,2026-01-05,\n"  # line 9
    )
    errors = StringIO()
    output, code = run_command("import_eta_history", a_file(tmp_path, text), stderr=errors)
    errors = errors.getvalue()
    assert code == 1 and "6 of 8 rows are bad; nothing was imported" in output
    assert "line 4: Instance must be DD or CBR" in errors
    assert "line 5: FirstPromised is not a date" in errors
    assert "line 6: Done is in the future" in errors
    assert "line 7: RefNo is empty" in errors
    assert "line 8: DD order 400000 is on line 2 too" in errors
    assert "line 9: FirstPromised and Done are more than a year apart" in errors
    assert not OrderEta.objects.exists()

    output, code = run_command("import_eta_history", a_file(tmp_path, text), "--skip-bad")
    assert code == 0 and "2 orders added" in output and "6 bad rows" in output
    assert OrderEta.objects.count() == 2


@pytest.mark.parametrize(
    "text, why",
    [
        ("RefNo,Done\n1,2026-01-01\n", "missing: Instance, ProductionLine, FirstPromised"),
        ("", "missing: Instance"),
    ],
)
def test_a_file_without_the_columns_is_refused_whole(tmp_path, text, why):
    output, code = run_command("import_eta_history", a_file(tmp_path, text))
    assert code == 1 and why in output and not OrderEta.objects.exists()


def test_a_missing_or_unreadable_file_is_a_clear_error(tmp_path):
    output, code = run_command("import_eta_history", str(tmp_path / "nope.csv"))
    assert code == 1 and "no such file" in output
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    output, code = run_command("import_eta_history", str(binary))
    assert code == 1 and "cannot be read" in output


def test_excel_csv_with_a_byte_order_mark_and_without_customer_reads(tmp_path):
    text = (
        "\ufeffInstance,RefNo,ProductionLine,FirstPromised,Done\r\n" + f"cbr,9,Curtains,{days_ago(9)},{days_ago(8)}\r\n"
    )
    _, code = run_command("import_eta_history", a_file(tmp_path, text))
    assert code == 0 and OrderEta.objects.get().instance == "CBR"


def test_orders_followed_by_live_fetches_keep_their_own_record(tmp_path):
    live = OrderEta.objects.create(instance="DD", ref_no="400000", seen_by="DD:customer:x", first_eta=date(2026, 11, 1))
    output, code = run_command("import_eta_history", a_file(tmp_path, HEADER + good_rows(2)))
    assert code == 0 and "1 kept as live fetches recorded them" in output
    live.refresh_from_db()
    assert live.done_on is None and live.first_eta == date(2026, 11, 1)


# --- the demo, the backtest command -------------------------------------------------------------------------


def test_the_demo_history_is_six_months_of_lines_with_their_own_profiles_and_holds_the_target(settings):
    today = business_today()
    rows = demo_history_rows(today=today)
    assert min(date.fromisoformat(r["Done"]) for r in rows) >= today - timedelta(days=182)
    history_seed_demo(actor=TEST_ACTOR, today=today)
    assert history_seed_demo(actor=TEST_ACTOR, today=today).created == 0  # seed_demo twice: once
    lines = {(line.instance, line.line): line for line in backtest(today=today)}
    assert lines[("DD", "Shutters")].p80 > lines[("DD", "Roller Blinds")].p80 > lines[("DD", "Venetians")].p80
    share = sum(line.covered for line in lines.values()) / sum(line.finished for line in lines.values())
    assert 0.75 <= share <= 0.85, share

    output, code = run_command("forecast_backtest")
    assert code == 0
    assert "DD      Shutters" in output and "Done by the date they would have been told to plan on: " in output
    assert f"{share:.0%}" in output


def test_the_backtest_command_with_nothing_finished_and_a_bad_window():
    output, code = run_command("forecast_backtest", "--days", "30")
    assert code == 0 and "No orders finished in the last 30 days." in output
    output, code = run_command("forecast_backtest", "--days", "0")
    assert code == 1 and "--days must be at least 1" in output


# --- promise reliability -------------------------------------------------------------------------------------


def finished_order(ref, *, line, slip, done, customer="Northside Window Co", instance="DD"):
    return OrderEta.objects.create(
        instance=instance, ref_no=ref, production_line=line, seen_by="import", customer_name=customer,
        customer_key=customer.casefold(), first_eta=done - timedelta(days=slip), done_on=done,
    )  # fmt: skip


@pytest.fixture
def finished_orders():
    today = business_today()
    this_month = today.replace(day=1)
    last_month = (this_month - timedelta(days=1)).replace(day=1)
    for i, slip in enumerate([-1, 0, 2, 5]):
        finished_order(f"A{i}", line="Shutters", slip=slip, done=this_month)
    for i, slip in enumerate([0, 0, 3]):
        finished_order(f"B{i}", line="Curtains", slip=slip, done=last_month, customer="Someone Else")
    finished_order("OLD", line="Curtains", slip=9, done=this_month - timedelta(days=400))
    return this_month, last_month


def test_reliability_by_line_and_month_has_the_known_numbers(finished_orders):
    this_month, last_month = finished_orders
    data = promise_reliability()
    assert (data.total.finished, data.total.on_time) == (7, 4)
    lines = {row.line: row for row in data.lines}
    assert (lines["Shutters"].finished, lines["Shutters"].on_time, lines["Shutters"].median, lines["Shutters"].p80) == (
        4, 2, 0, 5)  # fmt: skip
    assert (lines["Curtains"].finished, lines["Curtains"].on_time, lines["Curtains"].p80) == (3, 2, 3)
    months = {m.month: m for m in data.months}
    assert len(data.months) == 6 and months[this_month].finished == 4 and months[last_month].finished == 3
    assert promise_reliability(production_line="Curtains").total.finished == 3


def test_staff_see_reliability_in_the_admin_and_per_customer(finished_orders, personas, customer, client):
    bob = Client()
    bob.force_login(personas["bob"])  # role user
    page = bob.get("/admin/history/ordereta/reliability/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Promise reliability" in text and "data-reliability-chart" in text
    assert "<strong>7</strong> orders finished, <strong>4</strong> (57%) on time" in text
    assert "Promise reliability" in bob.get("/admin/history/ordereta/").content.decode()  # linked from the list

    own = bob.get(f"/admin/customers/customer/{customer.pk}/change/").content.decode()
    assert "Promise reliability — this customer's orders" in own
    assert "<strong>4</strong> orders finished" in own  # Northside's, not Someone Else's
    assert OrderEta.objects.filter(customer_orders(customer)).count() == 5  # its four, and the old one


def test_reliability_needs_a_staff_role(finished_orders, personas, client):
    assert client.get("/admin/history/ordereta/reliability/").status_code == 302  # to sign in
    carol = Client()
    carol.force_login(personas["carol"])  # staff, no role
    assert carol.get("/admin/history/ordereta/reliability/").status_code in (302, 403)
