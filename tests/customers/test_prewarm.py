from __future__ import annotations

from datetime import datetime
from datetime import time as clock
from io import StringIO

import pytest
import responses
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django_q.models import Schedule

from customers.models import Customer
from customers.schedules import PREWARM_SCHEDULE, schedules_sync
from lib.schedules import next_daily_run
from odata.models import UpstreamCache
from tests.conftest import CBR_ROOT, DD_ROOT, SYDNEY, run_command

pytestmark = pytest.mark.django_db(transaction=True)  # both accounts are fetched on threads


@pytest.fixture
def customers(make_customer):
    return [
        make_customer(display_name="Northside", dd_name="Northside"),
        make_customer(display_name="Sunset", dd_name="Sunset", cbr_name="Sunset CBR"),
        make_customer(display_name="Sunset again", dd_name="Sunset"),  # same DD name: one fetch
    ]


@responses.activate
def test_prewarm_fetches_each_key_once_and_prints_a_line_per_customer(customers, settings):
    settings.BUZ_FRESH_MINUTES = 0
    responses.get(f"{DD_ROOT}/JobsScheduleDetailed", json={"value": [{"RefNo": "1"}]})
    responses.get(f"{CBR_ROOT}/JobsScheduleDetailed", json={"value": [{"RefNo": "2"}, {"RefNo": "3"}]})
    with time_machine.travel(datetime(2026, 11, 23, 9, 30, tzinfo=SYDNEY), tick=True):
        output, code = run_command("prewarm_cache")
    assert code == 0
    assert len(responses.calls) == 3  # Northside DD, Sunset DD, Sunset CBR
    assert "[  2/3] ok   Sunset: DD 1 lines (live), CBR 2 lines (live)" in output
    assert "Prewarmed 3 customers: 3 fetches, 3 customers ok, 0 failed." in output
    assert UpstreamCache.objects.count() == 3


@responses.activate
def test_prewarm_of_one_instance_leaves_the_other_alone(customers):
    responses.get(f"{CBR_ROOT}/JobsScheduleDetailed", json={"value": []})
    with time_machine.travel(datetime(2026, 11, 23, 9, 30, tzinfo=SYDNEY), tick=True):
        output, code = run_command("prewarm_cache", "--instance", "CBR")
    assert code == 0
    assert [c.request.url.split("?")[0] for c in responses.calls] == [f"{CBR_ROOT}/JobsScheduleDetailed"]
    assert "Northside: no accounts" in output


@responses.activate
def test_prewarm_exits_1_when_any_fetch_failed(customers):
    responses.get(f"{DD_ROOT}/JobsScheduleDetailed", status=500)
    responses.get(f"{CBR_ROOT}/JobsScheduleDetailed", json={"value": []})
    with time_machine.travel(datetime(2026, 11, 23, 9, 30, tzinfo=SYDNEY), tick=True):
        output, code = run_command("prewarm_cache")
    assert code == 1
    assert "FAIL Northside: DD FAILED (http_error; no data)" in output


def test_prewarm_rejects_an_unknown_instance(customers):
    with pytest.raises(CommandError):
        call_command("prewarm_cache", "--instance", "XYZ", stdout=StringIO())


def test_the_daily_schedule_exists_after_migrate_and_follows_the_setting(settings):
    schedule = Schedule.objects.get(name=PREWARM_SCHEDULE)
    assert schedule.func == "customers.tasks.prewarm_cache_task"
    assert schedule.schedule_type == Schedule.DAILY
    assert schedule.next_run.astimezone(SYDNEY).time() == clock(9, 30)

    settings.BUZ_PREWARM_AT = clock(8, 45)
    schedules_sync()
    schedules_sync()  # twice: still one schedule
    assert Schedule.objects.filter(name=PREWARM_SCHEDULE).count() == 1
    assert Schedule.objects.get(name=PREWARM_SCHEDULE).next_run.astimezone(SYDNEY).time() == clock(8, 45)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (datetime(2026, 11, 23, 9, 0, tzinfo=SYDNEY), datetime(2026, 11, 23, 9, 30, tzinfo=SYDNEY)),
        (datetime(2026, 11, 23, 9, 30, tzinfo=SYDNEY), datetime(2026, 11, 24, 9, 30, tzinfo=SYDNEY)),
        # Across the start of daylight saving (4 Oct 2026): still 09:30 on the wall clock.
        (datetime(2026, 10, 3, 12, 0, tzinfo=SYDNEY), datetime(2026, 10, 4, 9, 30, tzinfo=SYDNEY)),
    ],
)
def test_next_daily_run_is_wall_clock_time_in_the_business_zone(now, expected):
    result = next_daily_run(clock(9, 30), tz_name="Australia/Sydney", now=now)
    assert result == expected
    assert result.astimezone(SYDNEY).time() == clock(9, 30)


def test_prewarm_task_runs_through_django_q(customers, settings, simulator):
    """The scheduled function itself, run by django-q2 synchronously, against the simulator."""
    from django_q.tasks import async_task, result

    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "sync": True}
    Customer.objects.all().delete()
    call_command("seed_demo", stdout=StringIO())
    task_id = async_task("customers.tasks.prewarm_cache_task", sync=True)
    assert "Prewarmed 4 customers" in result(task_id)
    assert UpstreamCache.objects.filter(fetched_at__isnull=False).count() == 6


def test_prewarm_dry_run_lists_each_key_once_and_calls_nothing(customers):
    with responses.RequestsMock():  # any upstream call would fail the test
        output, code = run_command("prewarm_cache", "--dry-run")
    assert code == 0
    assert "Sunset: DD customer 'Sunset', CBR customer 'Sunset CBR'" in output
    assert "Sunset again: nothing new" in output
    assert output.strip().endswith("dry run: would fetch 3 keys for 3 customers")
    assert UpstreamCache.objects.count() == 0


def test_a_schedule_left_by_an_older_release_is_pointed_at_the_current_task(db):
    Schedule.objects.filter(name=PREWARM_SCHEDULE).update(func="odata.tasks.prewarm_cache_task")
    schedules_sync()
    assert Schedule.objects.get(name=PREWARM_SCHEDULE).func == "customers.tasks.prewarm_cache_task"
