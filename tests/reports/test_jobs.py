"""Report jobs: lifecycle, joining, stall recovery, failure, and the pages around them."""

from __future__ import annotations

import threading
import uuid
from datetime import datetime, timedelta
from datetime import time as clock

import pytest
import requests
import responses
import time_machine
from django.db import IntegrityError, connections
from django.test import Client
from django.utils import timezone

from odata.models import UpstreamCache
from odata.targets import cache_key
from reports.jobs import job_run, job_start_or_join
from reports.models import ReportJob
from tests.conftest import CBR_JOBS, DD_JOBS, SYDNEY, make_job, order_line

ROW = order_line(ProductionStatus="Sewing", ProductionLine="Curtains", InventoryItem="Wave Curtain", Descn="Smith")


@pytest.fixture
def queued_only(monkeypatch):
    """Jobs stay queued, as when the worker has not picked them up yet."""
    from django_q.conf import Conf

    monkeypatch.setattr(Conf, "SYNC", False)


@pytest.fixture
def morning():
    with time_machine.travel(datetime(2026, 11, 23, 8, 0, tzinfo=SYDNEY), tick=True) as traveller:
        yield traveller


# --- the cold link ----------------------------------------------------------------------


def test_a_cold_link_shows_a_loading_page_that_carries_its_job(client, customer, queued_only, morning):
    response = client.get(f"/{customer.obfuscated_id}")
    page = response.content.decode()
    job = ReportJob.objects.get()
    assert response.status_code == 200
    assert f'data-job-id="{job.pk}"' in page
    assert f'data-status-url="/jobs/{job.pk}"' in page
    assert f'href="/jobs/{job.pk}"' not in page  # no link to raw JSON for customers
    assert 'role="progressbar"' in page
    assert job.status == ReportJob.QUEUED


def test_a_second_visitor_joins_the_running_job(client, customer, queued_only, morning):
    client.get(f"/{customer.obfuscated_id}")
    Client().get(f"/{customer.obfuscated_id}")
    job_start_or_join(customer=customer)
    assert ReportJob.objects.count() == 1


def test_the_database_refuses_a_second_live_job_for_a_customer(customer):
    make_job(customer)
    with pytest.raises(IntegrityError):
        make_job(customer, status=ReportJob.RUNNING)


@pytest.mark.django_db(transaction=True)
def test_simultaneous_visitors_end_up_on_one_job(make_customer, queued_only):
    customer = make_customer(display_name="Northside", dd_name="Northside")
    barrier = threading.Barrier(8)
    ids = []

    def visit():
        try:
            barrier.wait()
            ids.append(job_start_or_join(customer=customer).pk)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=visit) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(ids) == 8 and len(set(ids)) == 1
    assert ReportJob.objects.count() == 1


# --- running a job ---------------------------------------------------------------------------


@responses.activate
@pytest.mark.django_db(transaction=True)
def test_a_job_reports_progress_at_each_real_step_and_finishes(client, make_customer, queued_only, morning):
    customer = make_customer(display_name="Sunset", dd_name="Sunset", cbr_name="Sunset")
    responses.get(DD_JOBS, json={"value": [ROW]})
    responses.get(CBR_JOBS, json={"value": [dict(ROW, RefNo="300001"), dict(ROW, RefNo="300001", FixedLine=2)]})
    job = job_start_or_join(customer=customer)
    job_run(str(job.pk))
    job.refresh_from_db()
    assert job.status == ReportJob.DONE and job.percent == 100
    # Plain words: the customer's account labels, never "DD"/"CBR" or "worker".
    assert job.log[:2] == ["In the queue…", "Asking our production system for your orders…"]
    assert sorted(job.log[2:4]) == ["Orders from Factory 1: 1 line received", "Orders from Factory 2: 2 lines received"]
    assert job.log[-1] == "Ready: opening your orders…"
    assert job.source == "live" and job.started_at and job.finished_at and job.attempts == 1

    status = client.get(f"/jobs/{job.pk}").json()
    assert status == {
        "status": "done",
        "pct": 100,
        "log": job.log,
        "error": None,
        "report_url": f"/report/{job.pk}",
        "source": "live",
    }
    page = client.get(f"/report/{job.pk}").content.decode()
    assert "Order 512877" in page and "Order 300001" in page


@responses.activate
def test_progress_is_written_as_each_account_arrives(customer, queued_only, morning, monkeypatch):
    from reports import jobs

    responses.get(DD_JOBS, json={"value": [ROW]})
    job = job_start_or_join(customer=customer)
    percents = []
    step = jobs._Progress.step

    def recording_step(self, percent, line):
        step(self, percent, line)
        percents.append(ReportJob.objects.get(pk=job.pk).percent)

    fetch = jobs.report_fetch

    def watched_fetch(**kwargs):
        percents.append(ReportJob.objects.get(pk=job.pk).percent)  # what the bar shows while upstream is asked
        return fetch(**kwargs)

    monkeypatch.setattr(jobs._Progress, "step", recording_step)
    monkeypatch.setattr(jobs, "report_fetch", watched_fetch)
    job_run(str(job.pk))
    assert percents == [10, 90]
    assert ReportJob.objects.get(pk=job.pk).percent == 100


def test_running_a_job_twice_does_nothing_the_second_time(customer, queued_only, morning):
    job = make_job(customer, status=ReportJob.DONE, percent=100)
    job_run(str(job.pk))
    job.refresh_from_db()
    assert job.status == ReportJob.DONE and job.attempts == 0


@responses.activate
def test_a_job_keeps_a_reference_to_the_cache_not_a_copy_of_its_rows(client, customer, open_report, morning):
    import json

    responses.get(DD_JOBS, json={"value": [ROW]})
    open_report(client, f"/{customer.obfuscated_id}")
    job = ReportJob.objects.get()
    assert job.result and all("rows" not in item for item in job.result)
    assert "Smith - upstairs" not in json.dumps(job.result)  # no order data in the job row
    response = client.get(f"/report/{job.pk}", {"status": "sewing"})
    assert "Order 512877" in response.content.decode()
    assert response.context["report"].line_count == 1
    assert len(responses.calls) == 1


@responses.activate
def test_a_job_whose_cache_was_cleared_sends_the_visitor_to_the_customer_page(client, customer, open_report, morning):
    responses.get(DD_JOBS, json={"value": [ROW]})
    open_report(client, f"/{customer.obfuscated_id}")
    job = ReportJob.objects.get()
    UpstreamCache.objects.all().delete()
    response = client.get(f"/report/{job.pk}", {"status": "sewing"})
    assert response.status_code == 302
    assert response["Location"] == f"/{customer.obfuscated_id}?status=sewing"


def test_a_job_kept_before_references_still_shows_its_copied_rows(client, customer):
    job = make_job(customer, status=ReportJob.DONE, percent=100)
    kept = {"instance": "DD", "name": customer.dd_name, "is_group": False, "source": "live", "reason": ""}
    job.result = [{**kept, "rows": [{**ROW, "Instance": "DD"}], "fetched_at": "2026-11-23T08:00:00+11:00"}]
    job.save()
    assert "Order 512877" in client.get(f"/report/{job.pk}").content.decode()


@responses.activate
def test_an_unexpected_error_fails_the_job_with_a_friendly_message(customer, queued_only, morning, monkeypatch, caplog):
    import reports.jobs

    def explode(*_args, **_kwargs):
        raise RuntimeError("boom")

    responses.get(DD_JOBS, json={"value": [ROW]})
    monkeypatch.setattr(reports.jobs, "results_check", explode)
    job = job_start_or_join(customer=customer)
    job_run(str(job.pk))
    job.refresh_from_db()
    assert job.status == ReportJob.FAILED
    assert "Something went wrong" in job.error and "boom" not in job.error
    assert "report job" in caplog.text and "boom" in caplog.text  # logged (and so sent to Sentry)


# --- failure -------------------------------------------------------------------------------------


@responses.activate
@pytest.mark.parametrize(
    ("upstream", "status"),
    [({"status": 503}, 503), ({"body": requests.exceptions.ReadTimeout()}, 504), ({"status": 500}, 502)],
)
def test_a_failed_job_is_visible_with_the_right_status_and_a_retry_button(
    client, customer, queued_only, morning, upstream, status
):
    responses.get(DD_JOBS, **upstream)
    client.get(f"/{customer.obfuscated_id}")
    job = ReportJob.objects.get()
    job_run(str(job.pk))

    polled = client.get(f"/jobs/{job.pk}").json()
    assert polled["status"] == "failed" and polled["report_url"] is None
    assert "try again" in polled["error"].lower()

    redirect = client.get(f"/report/{job.pk}")
    assert redirect.status_code == 302 and redirect["Location"] == f"/{customer.obfuscated_id}"
    page = client.get(f"/{customer.obfuscated_id}")
    assert page.status_code == status
    assert f'action="/{customer.obfuscated_id}/refresh"' in page.content.decode()
    assert ReportJob.objects.count() == 1  # reloading a fresh failure does not start another job


def test_try_again_is_a_post_with_csrf(customer, queued_only, morning):
    browser = Client(enforce_csrf_checks=True)
    assert browser.get(f"/{customer.obfuscated_id}/refresh").status_code == 405
    assert browser.post(f"/{customer.obfuscated_id}/refresh").status_code == 403
    assert ReportJob.objects.count() == 0


def test_try_again_starts_a_new_job_after_a_failure(client, customer, queued_only, morning):
    make_job(customer, status=ReportJob.FAILED, error="x", error_status=503, finished_at=timezone.now())
    response = client.post(f"/{customer.obfuscated_id}/refresh")
    assert response.status_code == 302 and response["Location"] == f"/{customer.obfuscated_id}"
    assert ReportJob.objects.live().count() == 1
    assert 'data-job-id="' in client.get(f"/{customer.obfuscated_id}").content.decode()


def test_after_a_minute_a_failure_is_retried_on_the_next_visit(client, customer, queued_only, morning):
    make_job(
        customer,
        status=ReportJob.FAILED,
        error="x",
        error_status=503,
        finished_at=timezone.now() - timedelta(seconds=61),
    )
    assert client.get(f"/{customer.obfuscated_id}").status_code == 200
    assert ReportJob.objects.live().count() == 1


# --- stalls ----------------------------------------------------------------------------------------


def test_a_job_whose_worker_died_is_requeued_once_then_failed(client, customer, queued_only, morning):
    job = make_job(customer, status=ReportJob.RUNNING, attempts=1)
    ReportJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - timedelta(seconds=61))

    first = client.get(f"/jobs/{job.pk}").json()
    job.refresh_from_db()
    assert first["status"] == "queued" and job.recoveries == 1
    assert job.log[-1] == "This is taking longer than usual; trying again…"

    morning.shift(61)  # and the second attempt never starts either
    second = client.get(f"/jobs/{job.pk}").json()
    assert second["status"] == "failed"
    assert "taking much longer" in second["error"]
    job.refresh_from_db()
    assert job.error_status == 504


def test_a_job_with_a_recent_heartbeat_is_left_alone(client, customer, queued_only, morning):
    job = make_job(customer, status=ReportJob.RUNNING, attempts=1)
    ReportJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - timedelta(seconds=59))
    assert client.get(f"/jobs/{job.pk}").json()["status"] == "running"


@responses.activate
def test_a_requeued_job_runs_again_and_finishes(client, customer, queued_only, morning):
    responses.get(DD_JOBS, json={"value": [ROW]})
    job = make_job(customer, status=ReportJob.RUNNING, attempts=1)
    ReportJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - timedelta(seconds=120))
    assert client.get(f"/jobs/{job.pk}").json()["status"] == "queued"
    job_run(str(job.pk))  # the worker picks the re-queued task up
    job.refresh_from_db()
    assert (job.status, job.attempts, job.recoveries) == (ReportJob.DONE, 2, 1)


# --- bad ids and redirects ---------------------------------------------------------------------------


@pytest.mark.parametrize("job_id", [str(uuid.uuid4()), "not-a-uuid", "1", "%27%3B--"])
def test_unknown_job_ids_get_404_json_and_a_404_page(client, db, job_id):
    response = client.get(f"/jobs/{job_id}")
    assert response.status_code == 404
    assert response.json() == {"error": "No such job.", "code": "NOT_FOUND"}
    page = client.get(f"/report/{job_id}")
    # A purged job's saved link: no blame on the reader, a way back.
    assert page.status_code == 404 and "This page has expired" in page.content.decode()
    assert "mistyped" not in page.content.decode()


def test_report_of_a_running_job_redirects_to_the_customer_page_with_its_filters(client, customer):
    job = make_job(customer, status=ReportJob.RUNNING)
    response = client.get(f"/report/{job.pk}", {"status": "Sewing"})
    assert response.status_code == 302
    assert response["Location"] == f"/{customer.obfuscated_id}?status=Sewing"


# --- usable data is shown at once ------------------------------------------------------------------


def _cache(customer, fetched_at):
    target = customer.fetch_targets[0]
    UpstreamCache.objects.create(
        key=cache_key(target), instance="DD", target_name=target.name, rows=[ROW], fetched_at=fetched_at
    )


def test_fresh_data_is_shown_at_once_without_a_job(client, customer, morning):
    _cache(customer, timezone.now() - timedelta(minutes=1))
    response = client.get(f"/{customer.obfuscated_id}")
    assert "Order 512877" in response.content.decode()
    assert "Updating" not in response.content.decode()
    assert ReportJob.objects.count() == 0


def test_in_the_blackout_cached_data_is_shown_at_once_without_a_job(client, customer, settings):
    settings.BUZ_BLACKOUT = (clock(10), clock(16))
    with time_machine.travel(datetime(2026, 11, 23, 12, 0, tzinfo=SYDNEY), tick=True):
        _cache(customer, timezone.now() - timedelta(hours=3))
        response = client.get(f"/{customer.obfuscated_id}")
    assert "Order 512877" in response.content.decode() and "cached copy" in response.content.decode()
    assert ReportJob.objects.count() == 0


def test_stale_data_is_shown_at_once_while_a_refresh_job_runs(client, customer, queued_only, morning):
    _cache(customer, timezone.now() - timedelta(minutes=30))
    response = client.get(f"/{customer.obfuscated_id}")
    page = response.content.decode()
    job = ReportJob.objects.get()
    assert "Order 512877" in page
    # Refreshed quietly: the page follows the job, and changes in place only if the orders do.
    assert f'data-refresh-job-id="{job.pk}"' in page and "Updating…" not in page
    assert job.is_live
