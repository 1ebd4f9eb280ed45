"""A job's pages live and die with the link the job was made for: nothing outlives a regenerated link."""

from __future__ import annotations

import pytest
import responses

from customers.services import customer_regenerate_link
from reports.jobs import job_run
from reports.models import ReportJob
from tests.conftest import DD_JOBS, TEST_ACTOR, order_line


@pytest.fixture
def queued_only(monkeypatch):
    from django_q.conf import Conf

    monkeypatch.setattr(Conf, "SYNC", False)


@responses.activate
def test_a_finished_job_of_a_replaced_link_is_expired_and_names_no_link(client, customer, queued_only):
    responses.get(DD_JOBS, json={"value": [order_line()]})
    old = customer.obfuscated_id
    assert client.post(f"/{old}/refresh").status_code == 302  # the old link's holder starts a job
    job = ReportJob.objects.get()
    job_run(str(job.pk))
    assert client.get(f"/report/{job.pk}").status_code == 200  # while the link holds, the job shows

    new = customer_regenerate_link(customer=customer, actor=TEST_ACTOR)

    assert client.get(f"/{old}").status_code == 404
    page = client.get(f"/report/{job.pk}")
    assert page.status_code == 404
    assert new not in page.content.decode() and "Order 512877" not in page.content.decode()
    status = client.get(f"/jobs/{job.pk}")
    assert status.status_code == 404 and new not in status.content.decode()
    assert client.get(f"/report/{job.pk}", {"status": "x"}).status_code == 404


def test_a_running_job_of_a_replaced_link_redirects_nowhere(client, customer, queued_only):
    old = customer.obfuscated_id
    client.get(f"/{old}")  # a cold link: the loading page and its job
    job = ReportJob.objects.get()
    new = customer_regenerate_link(customer=customer, actor=TEST_ACTOR)
    for path in (f"/report/{job.pk}", f"/jobs/{job.pk}"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert new not in response.get("Location", "") + response.content.decode()


@responses.activate
def test_the_new_link_does_not_join_the_old_links_job(client, customer, queued_only):
    responses.get(DD_JOBS, json={"value": [order_line()]})
    client.get(f"/{customer.obfuscated_id}")
    old_job = ReportJob.objects.get()
    new = customer_regenerate_link(customer=customer, actor=TEST_ACTOR)

    client.get(f"/{new}")

    old_job.refresh_from_db()
    fresh = ReportJob.objects.exclude(pk=old_job.pk).get()
    assert old_job.status == ReportJob.FAILED and fresh.is_live
    job_run(str(old_job.pk))  # its worker comes late: it finds nothing to do
    job_run(str(fresh.pk))
    assert client.get(f"/report/{fresh.pk}").status_code == 200
    assert client.get(f"/report/{old_job.pk}").status_code == 404


def test_a_job_from_before_jobs_recorded_their_link_is_expired(client, customer):
    job = ReportJob.objects.create(customer=customer, status=ReportJob.DONE, percent=100, result=[])
    assert client.get(f"/report/{job.pk}").status_code == 404
