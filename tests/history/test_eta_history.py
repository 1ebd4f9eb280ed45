"""ETA history: the change rule, exactly-once recording, and where customers and tools see it."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from buzeta.api.keys import api_key_create
from history.models import EtaChange, OrderEta
from history.recording import eta_record_fetch
from odata.models import UpstreamCache
from odata.services import cache_fetch
from odata.simulator.dataset import slip_dates
from odata.targets import FetchTarget
from tests.conftest import SYDNEY, TEST_ACTOR, elements, order_line

KEY = "DD:customer:Northside Window Co"
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def record(rows, *, key=KEY, name="Northside Window Co", is_group=False, at=NOW):
    return eta_record_fetch(key=key, instance="DD", name=name, is_group=is_group, rows=rows, fetched_at=at)


def history(ref_no="512877") -> OrderEta:
    return OrderEta.objects.get(instance="DD", ref_no=ref_no)


pytestmark = pytest.mark.django_db


# --- the change rule ---------------------------------------------------------------------------------


def test_the_first_sight_of_an_order_records_its_promise_and_no_change():
    summary = record([order_line(), order_line(FixedLine=2, DateScheduled="2026-12-06T00:00:00Z")])
    eta = history()
    assert (eta.first_eta, eta.current_eta, eta.previous_eta) == (date(2026, 12, 8), date(2026, 12, 8), None)
    assert eta.first_seen_at == NOW and eta.eta_changed_at is None and eta.closed_at is None
    assert summary.new == 1 and not EtaChange.objects.exists()


def test_a_new_time_on_the_same_day_is_not_a_change():
    record([order_line(DateScheduled="2026-12-08T00:00:00Z")])
    record([order_line(DateScheduled="2026-12-08T05:30:00.000Z")], at=NOW + timedelta(hours=1))
    record([order_line(DateScheduled="2026-12-08")], at=NOW + timedelta(hours=2))
    assert not EtaChange.objects.exists() and history().current_eta == date(2026, 12, 8)


def test_a_later_date_is_one_move_with_its_days():
    record([order_line()])
    later = NOW + timedelta(hours=3)
    record([order_line(DateScheduled="2026-12-15T00:00:00Z")], at=later)
    change = EtaChange.objects.get()
    assert (change.from_eta, change.to_eta, change.days, change.detected_at) == (
        date(2026, 12, 8),
        date(2026, 12, 15),
        7,
        later,
    )
    eta = history()
    assert (eta.first_eta, eta.previous_eta, eta.current_eta, eta.eta_changed_at) == (
        date(2026, 12, 8),
        date(2026, 12, 8),
        date(2026, 12, 15),
        later,
    )
    assert eta.days_moved == 7


def test_an_earlier_date_is_a_move_with_negative_days():
    record([order_line()])
    record([order_line(DateScheduled="2026-12-05T00:00:00Z")], at=NOW + timedelta(hours=1))
    assert EtaChange.objects.get().days == -3


def test_an_undated_order_that_gets_a_date_is_dated_not_moved():
    record([order_line(DateScheduled=None)])
    assert history().first_eta is None
    summary = record([order_line()], at=NOW + timedelta(hours=1))
    assert summary.dated == 1 and not EtaChange.objects.exists()
    assert history().first_eta == history().current_eta == date(2026, 12, 8)


def test_an_order_the_fetch_no_longer_returns_is_closed_and_reopens_when_it_returns():
    record([order_line(), order_line(RefNo="600")])
    later = NOW + timedelta(hours=1)
    assert record([order_line()], at=later).closed == 1
    assert history("600").closed_at == later and history().closed_at is None
    assert record([order_line(), order_line(RefNo="600")], at=later + timedelta(hours=1)).reopened == 1
    assert history("600").closed_at is None


def test_an_order_whose_every_line_is_finished_counts_as_closed():
    record([order_line(), order_line(RefNo="600")])
    record([order_line(), order_line(RefNo="600", ProductionStatus="Invoiced")], at=NOW + timedelta(hours=1))
    assert history("600").closed_at is not None


def test_another_customers_fetch_closes_nothing_of_ours():
    record([order_line()])
    record([order_line(RefNo="700", Customer="Other")], key="DD:customer:Other", name="Other")
    assert history().closed_at is None


def test_dates_are_calendar_days_in_sydney_across_the_dst_change():
    # 4 Oct 2026 is 23 hours long in Sydney: 14:00 UTC on the 3rd and 12:59 UTC on the 4th are the same day.
    record([order_line(DateScheduled="2026-10-03T14:00:00Z")], at=datetime(2026, 9, 30, tzinfo=UTC))
    assert history().current_eta == date(2026, 10, 4)
    record([order_line(DateScheduled="2026-10-04T12:59:00Z")], at=datetime(2026, 9, 30, 1, tzinfo=UTC))
    assert not EtaChange.objects.exists()
    # An hour later it is the 5th in Sydney (AEDT, +11): a move of one day.
    record([order_line(DateScheduled="2026-10-04T13:00:00Z")], at=datetime(2026, 9, 30, 2, tzinfo=UTC))
    assert EtaChange.objects.get().to_eta == date(2026, 10, 5)


@pytest.mark.parametrize("bad", [None, "", "soon", "2026-13-45", "0001-01-01T00:00:00Z", "9999-12-31", 42])
def test_an_unreadable_or_absurd_date_never_makes_a_move(bad):
    record([order_line()])
    summary = record([order_line(DateScheduled=bad)], at=NOW + timedelta(hours=1))
    assert summary.moved == 0 and not EtaChange.objects.exists()
    assert history().current_eta == date(2026, 12, 8)  # what we knew stays


def test_rows_without_a_refno_are_ignored():
    summary = record([order_line(RefNo=None), order_line(RefNo="  "), {"DateScheduled": "2026-12-08"}])
    assert summary.new == 0 and not OrderEta.objects.exists()


def test_an_order_is_recorded_with_its_latest_date_and_most_common_line():
    rows = [
        order_line(DateScheduled="2026-12-01T00:00:00Z", ProductionLine="Curtains"),
        order_line(FixedLine=2, DateScheduled="2026-12-09T00:00:00Z"),
        order_line(FixedLine=3, DateScheduled=None),
    ]
    record(rows)
    assert (history().current_eta, history().production_line) == (date(2026, 12, 9), "Roller Blinds")


def test_a_move_is_filed_under_the_line_its_rows_name_now_however_its_number_is_spelled():
    record([order_line(ProductionLine="Curtains")])
    record(
        [
            order_line(RefNo=512877, DateScheduled="2026-12-15T00:00:00Z"),
            order_line(RefNo=" 512877 ", FixedLine=2, DateScheduled="2026-12-15T00:00:00Z"),
            order_line(RefNo="512878", FixedLine=3, ProductionLine="Curtains"),
        ],
        at=NOW + timedelta(hours=1),
    )
    change = EtaChange.objects.get()
    assert (change.order.ref_no, change.days, change.production_line) == ("512877", 7, "Roller Blinds")
    assert history("512878").production_line == "Curtains"


def test_the_same_fetch_twice_records_one_change():
    record([order_line()])
    moved = [order_line(DateScheduled="2026-12-20T00:00:00Z")]
    record(moved, at=NOW + timedelta(hours=1))
    record(moved, at=NOW + timedelta(hours=2))
    assert EtaChange.objects.count() == 1


# --- exactly once under real concurrency --------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_fetches_racing_on_the_same_change_record_it_once(monkeypatch):
    """A customer's fetch and its group's, several workers: eight threads see one move at the same moment."""
    from django.db import transaction

    record([order_line(), order_line(RefNo="600")])
    moved = [order_line(DateScheduled="2026-12-22T00:00:00Z"), order_line(RefNo="600")]
    start = threading.Barrier(8)
    # Every thread has read the old ETA before any writes: the worst interleaving, every time.
    all_read = threading.Barrier(8)

    waited = threading.local()

    class ReadThenWrite:
        @staticmethod
        def atomic():
            if not getattr(waited, "done", False):  # the recording's own transaction, not its savepoints
                waited.done = True
                all_read.wait(10)
            return transaction.atomic()

    monkeypatch.setattr("history.recording.transaction", ReadThenWrite)
    errors = []

    def fetch(index: int) -> None:
        from django.db import connection

        try:
            start.wait()
            key, is_group = (KEY, False) if index % 2 else ("DD:group:Coastal", True)
            record(moved, key=key, name="Coastal" if is_group else "Northside Window Co", is_group=is_group)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=fetch, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert EtaChange.objects.count() == 1
    assert history().current_eta == date(2026, 12, 22) and history().previous_eta == date(2026, 12, 8)


# --- recorded from real fetches only ------------------------------------------------------------------


@pytest.fixture
def northside_target():
    return FetchTarget("DD", "Northside Window Co", False)


@time_machine.travel(datetime(2026, 11, 23, 8, 0, tzinfo=SYDNEY), tick=False)
def test_a_live_fetch_from_the_simulator_records_its_moves(simulator, northside_target, settings):
    settings.BUZ_FRESH_MINUTES = 0
    cache_fetch(northside_target)
    known = OrderEta.objects.filter(instance="DD").count()
    assert known > 3 and not EtaChange.objects.exists()

    rounds = 0
    while not EtaChange.objects.exists():  # until a round moves one of this customer's orders
        rounds += 1
        slip_dates(simulator.dataset, seed=simulator.config.seed, round_no=rounds, orders=40)
        cache_fetch(northside_target)
        assert rounds < 20
    change = EtaChange.objects.first()
    assert change.order.customer_name == "Northside Window Co" and change.days != 0


@time_machine.travel(datetime(2026, 11, 23, 11, 0, tzinfo=SYDNEY), tick=False)
def test_cached_data_in_the_blackout_and_failed_fetches_record_nothing(simulator, northside_target, settings):
    from datetime import time

    settings.BUZ_FRESH_MINUTES = 0
    cache_fetch(northside_target)
    before = {o.ref_no: o.current_eta for o in OrderEta.objects.all()}
    slip_dates(simulator.dataset, seed=simulator.config.seed, round_no=1, orders=400)

    settings.BUZ_BLACKOUT = (time(10), time(16))
    assert cache_fetch(northside_target).source == "cached"
    simulator.config.error_rate = 1.0  # every request a 500
    settings.BUZ_BLACKOUT = None
    assert cache_fetch(northside_target).source == "cached"
    assert not EtaChange.objects.exists()
    assert {o.ref_no: o.current_eta for o in OrderEta.objects.all()} == before
    assert UpstreamCache.objects.get().last_error_kind


def test_a_failing_history_write_does_not_break_the_fetch(simulator, northside_target, settings, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("history is down")

    monkeypatch.setattr("history.recording.eta_record_fetch", broken)
    settings.BUZ_FRESH_MINUTES = 0
    assert cache_fetch(northside_target).source == "live"


# --- where people see it ------------------------------------------------------------------------------


@pytest.fixture
def monday_8am():
    with time_machine.travel(datetime(2026, 11, 23, 8, 0, tzinfo=SYDNEY), tick=False):
        yield


@pytest.fixture
def moved_customer(monday_8am, customer, simulator, settings):
    """Northside with one order moved later and one brought forward, seen through real fetches."""
    settings.BUZ_FRESH_MINUTES = 0
    target = FetchTarget("DD", "Northside Window Co", False)
    cache_fetch(target)
    rows = simulator.dataset.jobs["DESDR"]
    ours = sorted(
        {r["RefNo"] for r in rows if r["Customer"] == "Northside Window Co" and r["DateScheduled"]},
        key=lambda ref: [o.current_eta for o in OrderEta.objects.filter(ref_no=ref)],
    )
    refs = [ref for ref in ours if OrderEta.objects.filter(instance="DD", ref_no=ref, closed_at=None).exists()][:2]
    for ref, days in zip(refs, (7, -2), strict=True):
        for row in rows:
            if row["RefNo"] == ref and row["DateScheduled"]:
                moment = datetime.fromisoformat(row["DateScheduled"].replace("Z", "+00:00")) + timedelta(days=days)
                row["DateScheduled"] = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    cache_fetch(target)
    return customer, refs


def test_the_page_says_what_moved_and_filters_to_it(client, moved_customer, open_report):
    customer, (later, earlier) = moved_customer
    later_eta, earlier_eta = history(later), history(earlier)
    page = open_report(client, f"/{customer.obfuscated_id}").content.decode()
    # History began today (the fixture's first fetch), later than 14 days ago: the page says so.
    started = timezone.localdate()
    assert f"2 orders have a new date since we started tracking on {started:%-d %b %Y}" in page
    assert (
        f"Moved from {later_eta.previous_eta:%-d %b %Y} to {later_eta.current_eta:%-d %b %Y} — 7 days later, today"
        in page
    )
    assert (
        f"Brought forward from {earlier_eta.previous_eta:%-d %b %Y} to {earlier_eta.current_eta:%-d %b %Y}"
        " — 2 days earlier" in page
    )

    filtered = open_report(client, f"/{customer.obfuscated_id}", {"changed": "recent"})
    shown = {o.ref_no for o in filtered.context["report"].visible_orders}
    assert shown == {later, earlier}
    assert "checked" in elements(filtered.content.decode(), "input", name="changed")[0]


def test_a_move_older_than_the_window_is_not_told(client, moved_customer, open_report, settings):
    customer, _ = moved_customer
    settings.BUZ_ETA_CHANGE_DAYS = 14
    EtaChange.objects.update(detected_at=NOW - timedelta(days=30))
    OrderEta.objects.update(eta_changed_at=NOW - timedelta(days=30))
    page = open_report(client, f"/{customer.obfuscated_id}").content.decode()
    assert "have a new date" not in page and "Moved from" not in page


def test_exports_and_the_api_carry_the_history(client, moved_customer):
    customer, (later, _) = moved_customer
    api = Client(HTTP_X_API_KEY=api_key_create(name="tool", actor=TEST_ACTOR)[1])
    data = api.get(f"/api/v1/reports/{customer.obfuscated_id}").json()["data"]
    order = next(o for o in data["orders"] if o["order_no"] == later)
    eta = history(later)
    assert order["first_promised"] == eta.first_eta.isoformat()
    assert order["previous_eta"] == eta.previous_eta.isoformat()
    assert order["eta_changed_at"] == "2026-11-23"

    changes = api.get(f"/api/v1/customers/{customer.obfuscated_id}/eta-changes").json()
    assert changes["meta"]["count"] == 2
    first = changes["data"][0]
    assert set(first) == {"instance", "ref_no", "from", "to", "days", "detected_at"}
    assert {c["ref_no"]: c["days"] for c in changes["data"]}[later] == 7
    since = api.get(f"/api/v1/customers/{customer.obfuscated_id}/eta-changes", {"since": "2026-11-24T00:00:00Z"})
    assert since.json()["data"] == []
    bad_since = api.get(f"/api/v1/customers/{customer.obfuscated_id}/eta-changes", {"since": "not a date"})
    assert bad_since.status_code == 400
    # Found by the fuzzer on PostgreSQL: a legal ISO offset past ±15:59, and dates at the ends of the range.
    for odd in ("0688-01-04T12:08:25+19:56", "0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00"):
        answer = api.get(f"/api/v1/customers/{customer.obfuscated_id}/eta-changes", {"since": odd})
        assert answer.status_code in (200, 400), (odd, answer.status_code)

    csv_text = b"".join(client.get(f"/{customer.obfuscated_id}/download.csv").streaming_content).decode("utf-8-sig")
    header, *rows = [line.split(",") for line in csv_text.splitlines()]
    row = next(r for r in rows if r[0] == later)
    assert row[header.index("FirstPromised")] == f"{eta.first_eta:%-d %b %Y}"
    assert row[header.index("EtaChangedAt")] == "23 Nov 2026"


def test_the_eta_changes_of_another_customer_are_not_listed(moved_customer, make_customer):
    other = make_customer(display_name="Other", dd_name="Someone Else")
    api = Client(HTTP_X_API_KEY=api_key_create(name="tool", actor=TEST_ACTOR)[1])
    assert api.get(f"/api/v1/customers/{other.obfuscated_id}/eta-changes").json()["meta"]["count"] == 0


# --- retention ----------------------------------------------------------------------------------------


def test_purge_removes_old_events_and_long_closed_orders_only(settings):
    from tests.conftest import run_command

    settings.BUZ_ETA_HISTORY_DAYS = 400
    record([order_line(), order_line(RefNo="600"), order_line(RefNo="700")])
    record(
        [order_line(DateScheduled="2026-12-09T00:00:00Z"), order_line(RefNo="600", DateScheduled="2026-12-10")],
        at=NOW + timedelta(hours=1),
    )
    old = NOW - timedelta(days=401)
    EtaChange.objects.filter(order__ref_no="512877").update(detected_at=old)  # an old move of an open order
    OrderEta.objects.filter(ref_no="700").update(closed_at=old)  # long closed
    output, code = run_command("purge_jobs", days=30, dry_run=True)
    assert code == 0 and "would delete 1 ETA changes and 1 closed orders older than 400 days" in output
    assert EtaChange.objects.count() == 2

    run_command("purge_jobs", days=30)
    assert [c.order.ref_no for c in EtaChange.objects.all()] == ["600"]
    assert set(OrderEta.objects.values_list("ref_no", flat=True)) == {"512877", "600"}


def test_a_move_whose_rows_name_no_line_keeps_the_line_first_recorded():
    record([order_line()])
    record([order_line(DateScheduled="2026-12-15T00:00:00Z", ProductionLine=None)], at=NOW + timedelta(hours=1))
    assert EtaChange.objects.get().production_line == "Roller Blinds"


def test_an_order_dated_again_keeps_its_first_promise():
    record([order_line()])
    record([order_line(DateScheduled=None)], at=NOW + timedelta(hours=1))
    OrderEta.objects.update(current_eta=None)  # as if its date had been taken away upstream
    record([order_line(DateScheduled="2026-12-20T00:00:00Z")], at=NOW + timedelta(hours=2))
    assert (history().first_eta, history().current_eta) == (date(2026, 12, 8), date(2026, 12, 20))
    assert not EtaChange.objects.exists()  # dated, not moved
