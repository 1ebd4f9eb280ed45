"""Status mappings: refreshing them from BuzManager by command and from the admin."""

from __future__ import annotations

from urllib.parse import unquote

import responses

from statuses.models import StatusMapping
from tests.conftest import CBR_ROOT, DD_ROOT, as_user, run_command


@responses.activate
def test_refresh_statuses(db):
    responses.get(f"{DD_ROOT}/JobsScheduleDetailed", json={"value": [{"ProductionStatus": "Cutting"}]})
    responses.get(f"{CBR_ROOT}/JobsScheduleDetailed", json={"value": [{"ProductionStatus": "Sewing "}]})
    assert run_command("refresh_statuses", dry_run=True)[0].startswith("2 statuses seen upstream; would add 2")
    assert StatusMapping.objects.count() == 0
    output, code = run_command("refresh_statuses")
    assert code == 0 and "+ Cutting" in output and "+ Sewing" in output
    assert set(StatusMapping.objects.values_list("odata_status", "active")) == {("Cutting", False), ("Sewing", False)}
    assert run_command("refresh_statuses")[0].startswith("2 statuses seen upstream; added 0")


@responses.activate
def test_refresh_statuses_exits_1_when_an_account_fails(db):
    responses.get(f"{DD_ROOT}/JobsScheduleDetailed", status=503)
    responses.get(f"{CBR_ROOT}/JobsScheduleDetailed", json={"value": [{"ProductionStatus": "Sewing"}]})
    output, code = run_command("refresh_statuses")
    assert code == 1 and "DD (unavailable)" in output
    assert StatusMapping.objects.filter(odata_status="Sewing").exists()  # the readable account still counts


@responses.activate
def test_refresh_from_buzmanager_adds_new_statuses_inactive(personas):
    StatusMapping.objects.create(odata_status="Sewing", custom_status="Being sewn")
    responses.get(
        f"{DD_ROOT}/JobsScheduleDetailed",
        json={"value": [{"ProductionStatus": "Sewing"}, {"ProductionStatus": "Cutting"}]},
    )
    responses.get(f"{CBR_ROOT}/JobsScheduleDetailed", status=503)
    client = as_user(personas["bob"])
    page = client.get("/admin/statuses/statusmapping/").content.decode()
    assert "Refresh from BuzManager" in page
    response = client.post("/admin/statuses/statusmapping/refresh/", follow=True)
    text = response.content.decode()
    assert "Added 1 new status(es), inactive: Cutting" in text and "CBR could not be read" in text
    added = StatusMapping.objects.get(odata_status="Cutting")
    assert (added.custom_status, added.active) == ("Cutting", False)
    assert StatusMapping.objects.get(odata_status="Sewing").custom_status == "Being sewn"
    assert "$select=ProductionStatus" in unquote(responses.calls[0].request.url)  # only the one field
