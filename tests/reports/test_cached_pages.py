"""What a customer sees when BuzManager is closed, failing, or half there."""

from __future__ import annotations

import re
from datetime import datetime
from datetime import time as clock

import pytest
import responses
import time_machine

from odata.models import UpstreamCache
from odata.targets import cache_key
from statuses.models import StatusMapping
from tests.conftest import CBR_ROOT, DD_ROOT, SYDNEY, order_line

ROW = order_line(
    ProductionStatus="Fabric Cut", ProductionLine="Curtains", InventoryItem="Wave Curtain Linen", Customer="Sunset"
)


@pytest.fixture(autouse=True)
def policy(settings):
    settings.BUZ_BLACKOUT = (clock(10), clock(16))
    settings.BUZ_FRESH_MINUTES = 5
    settings.BUZ_COOLDOWN_MINUTES = 10


@pytest.fixture
def customer(make_customer):
    return make_customer(display_name="Sunset", dd_name="Sunset", cbr_name="Sunset")


def cached(customer, instance: str, fetched_at: datetime, rows=None) -> None:
    target = next(t for t in customer.fetch_targets if t.instance == instance)
    rows = [dict(ROW)] if rows is None else rows
    UpstreamCache.objects.create(
        key=cache_key(target), instance=instance, target_name=target.name, rows=rows, fetched_at=fetched_at
    )


@responses.activate
@pytest.mark.django_db(transaction=True)
def test_during_the_blackout_the_page_says_it_is_cached_and_when(client, open_report, customer):
    cached(customer, "DD", datetime(2026, 11, 23, 9, 30, tzinfo=SYDNEY))
    cached(customer, "CBR", datetime(2026, 11, 23, 9, 31, tzinfo=SYDNEY))
    with time_machine.travel(datetime(2026, 11, 23, 12, 0, tzinfo=SYDNEY), tick=False):
        response = open_report(client, f"/{customer.obfuscated_id}")
    page = response.content.decode()
    assert response.status_code == 200
    assert len(responses.calls) == 0
    assert "Order 512877" in page
    # One calm line: the time of the copy, the word "cached", and when the data comes back.
    assert "Updated 9:30 am (our cached copy)." in page
    assert "offline for reporting until 4:00 pm; we&#x27;ll refresh then." in page


@responses.activate
@pytest.mark.django_db(transaction=True)
def test_one_account_failing_shows_the_live_half_and_the_cached_half_labelled(client, open_report, customer):
    cached(customer, "CBR", datetime(2026, 11, 23, 7, 0, tzinfo=SYDNEY), rows=[dict(ROW, RefNo="300001")])
    responses.get(f"{DD_ROOT}/JobsScheduleDetailed", json={"value": [ROW]})
    responses.get(f"{CBR_ROOT}/JobsScheduleDetailed", status=503)
    with time_machine.travel(datetime(2026, 11, 23, 8, 0, tzinfo=SYDNEY), tick=False):
        response = open_report(client, f"/{customer.obfuscated_id}")
    page = response.content.decode()
    report = response.context["report"]
    assert {(s.instance, s.state) for s in report.sources} == {("DD", "live"), ("CBR", "cached")}
    assert "Order 512877" in page and "Order 300001" in page
    # One calm line naming the account in the customer's words (BUZ_CBR_LABEL), never "CBR".
    assert "Updated 8:00 am." in page and "Orders from Factory 2: our cached copy of 7:00 am." in page
    [freshness] = re.findall(r"<p class=\"freshness\".*?</p>", page, re.S)
    assert "Factory 1" not in freshness and "CBR" not in freshness


@responses.activate
@pytest.mark.django_db(transaction=True)
def test_nothing_cached_and_upstream_closed_gives_a_503_page_saying_when_to_return(client, open_report, customer):
    responses.get(f"{DD_ROOT}/JobsScheduleDetailed", status=503)
    responses.get(f"{CBR_ROOT}/JobsScheduleDetailed", status=503)
    with time_machine.travel(datetime(2026, 11, 23, 11, 0, tzinfo=SYDNEY), tick=False):
        response = open_report(client, f"/{customer.obfuscated_id}")
    assert response.status_code == 503
    assert "please try again after 4:00 pm" in response.content.decode()


@responses.activate
def test_a_renamed_status_shows_at_once_even_from_cache(client, open_report, make_customer):
    dd_only = make_customer(display_name="Northside", dd_name="Northside")
    cached(dd_only, "DD", datetime(2026, 11, 23, 7, 58, tzinfo=SYDNEY))
    with time_machine.travel(datetime(2026, 11, 23, 8, 0, tzinfo=SYDNEY), tick=False):
        before = open_report(client, f"/{dd_only.obfuscated_id}").content.decode()
        StatusMapping.objects.create(odata_status="Fabric Cut", custom_status="Being made")
        after = open_report(client, f"/{dd_only.obfuscated_id}").content.decode()
    assert ">Fabric Cut<" in before
    assert ">Being made<" in after and ">Fabric Cut<" not in after
    assert len(responses.calls) == 0


@responses.activate
def test_malformed_rows_never_break_the_page(client, open_report, make_customer):
    dd_only = make_customer(display_name="Northside", dd_name="Northside")
    responses.get(
        f"{DD_ROOT}/JobsScheduleDetailed",
        json={
            "value": [
                {},
                {"RefNo": None},
                {"RefNo": "1", "FixedLine": "abc", "DateScheduled": "garbage", "ProductionStatus": 7},
                {"RefNo": ["x"], "Descn": {"a": 1}},
                {"RefNo": "2", "FixedLine": 1e308, "InventoryItem": None},
            ]
        },
    )
    with time_machine.travel(datetime(2026, 11, 23, 8, 0, tzinfo=SYDNEY), tick=False):
        response = open_report(client, f"/{dd_only.obfuscated_id}")
    assert response.status_code == 200
    assert "Order 1<" in response.content.decode()


@responses.activate
@pytest.mark.django_db(transaction=True)  # both accounts are fetched in threads of their own
def test_upstream_down_and_cache_stale_reports_the_failed_refresh_honestly_and_stops_calling(client, customer):
    """The old loop: each view started a refresh that 'succeeded' with the same cached rows, the page
    said 'newer data is ready', and every view was another upstream attempt."""
    from reports.models import ReportJob

    responses.get(f"{DD_ROOT}/JobsScheduleDetailed", status=500)
    responses.get(f"{CBR_ROOT}/JobsScheduleDetailed", status=500)
    cached(customer, "DD", datetime(2026, 11, 23, 7, 0, tzinfo=SYDNEY))
    cached(customer, "CBR", datetime(2026, 11, 23, 7, 0, tzinfo=SYDNEY))
    with time_machine.travel(datetime(2026, 11, 23, 8, 0, tzinfo=SYDNEY), tick=False):
        first = client.get(f"/{customer.obfuscated_id}")
        job = first.context["refresh_job"]  # stale: shown at once while a refresh runs
        assert f'data-refresh-job-id="{job.pk}"' in first.content.decode()
        status = client.get(f"/jobs/{job.pk}").json()
        assert status["status"] == "done" and status["source"] == "cached"  # the refresh reached nobody
        calls = len(responses.calls)
        assert calls == 2
        for _ in range(3):
            again = client.get(f"/{customer.obfuscated_id}")
            page = again.content.decode()
            assert "Updating…" not in page and again.context["refresh_job"] is None
            assert "Updated 7:00 am (our cached copy)." in page
            assert "try again after 8:01" in page  # BUZ_FAILURE_BACKOFF_SECONDS (60) after the failure
    assert len(responses.calls) == calls  # no more upstream attempts while backing off
    assert ReportJob.objects.count() == 1
