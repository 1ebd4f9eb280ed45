"""Operator commands for the report data: clear_cache and purge_jobs, and the purge schedule."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from odata.models import UpstreamCache
from reports.models import ReportJob
from tests.conftest import make_job, run_command


@pytest.fixture
def leftovers(make_customer):
    customer = make_customer()
    UpstreamCache.objects.create(key="DD:customer:x", instance="DD", target_name="x", fetched_at=timezone.now())
    old = make_job(customer, status=ReportJob.DONE, finished_at=timezone.now() - timedelta(days=40))
    make_job(
        make_customer(display_name="B", dd_name="B"),
        status=ReportJob.FAILED,
        finished_at=timezone.now() - timedelta(days=2),
    )
    make_job(make_customer(display_name="C", dd_name="C"), status=ReportJob.RUNNING)
    return old


def test_clear_cache_refuses_without_confirm(leftovers):
    output, code = run_command("clear_cache")
    assert code == 2 and "--confirm" in output
    assert UpstreamCache.objects.count() == 1


def test_clear_cache_dry_run_and_confirm(leftovers):
    assert run_command("clear_cache", "--dry-run", "--jobs")[0] == (
        "would delete 1 cached upstream entries\nwould delete 2 finished report jobs\n"
    )
    assert UpstreamCache.objects.count() == 1 and ReportJob.objects.count() == 3
    output, code = run_command("clear_cache", "--confirm", "--jobs")
    assert code == 0 and "deleted 1 cached" in output
    assert UpstreamCache.objects.count() == 0
    assert list(ReportJob.objects.values_list("status", flat=True)) == [ReportJob.RUNNING]  # live jobs stay


def test_purge_jobs_deletes_only_old_finished_jobs(leftovers):
    assert run_command("purge_jobs", days=30, dry_run=True)[0].startswith("would delete 1 ")
    assert ReportJob.objects.count() == 3
    output, code = run_command("purge_jobs", days=30)
    assert code == 0 and output.startswith("deleted 1 ")
    assert not ReportJob.objects.filter(pk=leftovers.pk).exists() and ReportJob.objects.count() == 2


def test_purge_is_scheduled_daily_for_30_days(db):
    from django_q.models import Schedule

    schedule = Schedule.objects.get(name="purge-jobs")
    assert schedule.func == "reports.tasks.purge_jobs_task" and schedule.kwargs == "days=30"
    assert schedule.schedule_type == Schedule.DAILY


def test_the_purge_schedule_runs_through_django_q(leftovers):
    """The stored kwargs really reach the task, as the scheduler passes them."""
    from django_q.models import Schedule
    from django_q.tasks import async_task, result

    schedule = Schedule.objects.get(name="purge-jobs")
    kwargs = eval(f"dict({schedule.kwargs})")  # noqa: S307 - exactly what django-q2's scheduler does
    task_id = async_task(schedule.func, sync=True, **kwargs)
    assert result(task_id) == (
        "purged 1 finished report jobs older than 30 days, 0 ETA changes and 0 closed orders past BUZ_ETA_HISTORY_DAYS"
    )
