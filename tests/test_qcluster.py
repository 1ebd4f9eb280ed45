"""A cold link built by a real django-q2 worker process, against the simulator over HTTP."""

from __future__ import annotations

import time

import pytest

from customers.models import Customer

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_cold_link_is_built_by_a_real_worker(client, simulator, qcluster, settings):
    settings.BUZ_BLACKOUT = None
    customer = Customer.objects.create(
        display_name="Sunset Shade Solutions", dd_name="Sunset Shade Solutions", cbr_name="Sunset Shade Solutions"
    )
    loading = client.get(f"/{customer.obfuscated_id}")
    job_id = loading.context["job"].pk
    assert f'data-job-id="{job_id}"' in loading.content.decode()

    deadline = time.monotonic() + 60
    states = []
    while time.monotonic() < deadline:
        status = client.get(f"/jobs/{job_id}").json()
        states.append((status["status"], status["pct"]))
        if status["status"] in ("done", "failed"):
            break
        time.sleep(0.2)
    assert states[-1] == ("done", 100), states
    assert status["report_url"] == f"/report/{job_id}"
    assert simulator.count(entity_set="JobsScheduleDetailed") == 2  # one call per account

    report = client.get(status["report_url"]).context["report"]
    assert report.order_count > 5
    assert {o.instance for o in report.orders} == {"DD", "CBR"}
