"""API keys have a scope; the API answers the old app's integrations in the shapes they were written for;
what the OpenAPI document allows, the server takes."""

from __future__ import annotations

import json

import pytest
import responses
from django.test import Client

from audit.models import AuditEvent
from buzeta.models import ApiKey
from customers.models import Customer
from tests.conftest import DD_JOBS, TEST_ACTOR, as_user, order_line, run_command


@pytest.fixture
def keys(db):
    from buzeta.api.keys import api_key_create

    return {
        scope: Client(HTTP_X_API_KEY=api_key_create(name=f"{scope}-key", actor=TEST_ACTOR, scope=scope)[1])
        for scope in ("read", "manage")
    }


@pytest.fixture
def northside(make_customer):
    return make_customer(display_name="Northside", dd_name="Northside")  # the name these tests speak of


def send(client, method, path, body=None):
    return getattr(client, method)(
        path, json.dumps(body) if body is not None else None, content_type="application/json"
    )


# --- scopes ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "/api/v1/customers", None),
        ("post", "/api/v1/customers", {"dd_name": "New"}),
        ("get", "/api/v1/customers/{id}", None),
        ("put", "/api/v1/customers/{id}", {"dd_name": "N"}),
        ("patch", "/api/v1/customers/{id}", {"display_name": "N"}),
        ("delete", "/api/v1/customers/{id}", None),
        ("post", "/api/v1/statuses/refresh", None),
    ],
)
def test_a_read_key_cannot_touch_customers_or_see_their_links(keys, northside, method, path, body):
    response = send(keys["read"], method, path.replace("{id}", northside.obfuscated_id), body)
    assert response.status_code == 403 and response.json()["code"] == "FORBIDDEN"
    assert northside.obfuscated_id not in response.content.decode()
    assert Customer.objects.filter(pk=northside.pk, display_name="Northside").exists()
    assert Customer.objects.count() == 1


@responses.activate
def test_a_read_key_reads_reports_jobs_statuses_and_changes(keys, northside):
    responses.get(DD_JOBS, json={"value": [order_line()]})
    link = northside.obfuscated_id
    for path in (f"/api/v1/reports/{link}", f"/api/v1/customers/{link}/eta-changes", "/api/v1/statuses"):
        assert keys["read"].get(path).status_code == 200, path
    job = keys["read"].post(f"/api/v1/reports/{link}/generate").json()["data"]["job_id"]
    assert keys["read"].get(f"/api/v1/jobs/{job}").status_code == 200
    assert keys["manage"].get("/api/v1/customers").status_code == 200


def test_keys_are_made_with_a_scope_shown_in_the_admin_and_the_trail(personas):
    _out, code = run_command("create_api_key", "reporting-bot")
    assert code == 0 and ApiKey.objects.get(name="reporting-bot").scope == "read"  # least privilege
    run_command("create_api_key", "crm-sync", "--scope", "manage")
    assert ApiKey.objects.get(name="crm-sync").scope == "manage"
    assert AuditEvent.objects.get(object_type="apikey", object_repr__startswith="crm-sync").changes == {
        "scope": [None, "manage"]
    }
    listing = as_user(personas["alice"]).get("/admin/buzeta/apikey/").content.decode()
    assert "manage" in listing and "read" in listing
    as_user(personas["alice"]).post("/admin/buzeta/apikey/add/", {"name": "from-admin", "scope": "manage"})
    assert ApiKey.objects.get(name="from-admin").scope == "manage"


def test_keys_made_before_scopes_keep_managing(db):
    assert ApiKey._meta.get_field("scope").default == ApiKey.Scope.MANAGE


# --- the old app's clients -------------------------------------------------------------------------------


@responses.activate
def test_a_job_reads_as_the_old_app_wrote_it(keys, northside, monkeypatch):
    from django_q.conf import Conf

    monkeypatch.setattr(Conf, "SYNC", False)  # queued until the worker (job_run below) takes it
    responses.get(DD_JOBS, json={"value": [order_line()]})
    from reports.jobs import job_run

    job = keys["read"].post(f"/api/v1/reports/{northside.obfuscated_id}/generate").json()["data"]["job_id"]
    waiting = keys["read"].get(f"/api/v1/jobs/{job}").json()["data"]
    assert waiting["job_id"] == job and waiting["done"] is False and waiting["status"] in ("queued", "running")
    job_run(job)
    finished = keys["read"].get(f"/api/v1/jobs/{job}").json()["data"]
    assert finished["status"] == "completed" and finished["done"] is True and finished["pct"] == 100
    page_poll = Client().get(f"/jobs/{job}").json()
    assert page_poll["status"] == "done"  # the page's own polling keeps its words


def test_a_customer_created_without_a_display_name_takes_one_from_its_names(keys):
    first = send(keys["manage"], "post", "/api/v1/customers", {"dd_name": "Coastal Living Group"})
    assert first.status_code == 201 and first.json()["data"]["display_name"] == "Coastal Living Group"
    second = send(keys["manage"], "post", "/api/v1/customers", {"cbr_name": "Coastal Living Group"})
    assert second.status_code == 201 and second.json()["data"]["display_name"] == "Coastal Living Group (2)"


def test_put_replaces_every_field_and_keeps_the_link(keys, northside):
    path = f"/api/v1/customers/{northside.obfuscated_id}"
    northside.cbr_name = "Northside CBR"
    northside.save()
    response = send(keys["manage"], "put", path, {"dd_name": "Northside Pty", "field_type": "Customer Group"})
    assert response.status_code == 200, response.content
    northside.refresh_from_db()
    assert (northside.display_name, northside.dd_name, northside.cbr_name, northside.field_type) == (
        "Northside Pty",
        "Northside Pty",
        "",
        "Customer Group",
    )
    assert response.json()["data"]["obfuscated_id"] == northside.obfuscated_id
    assert send(keys["manage"], "put", path, {"display_name": "X"}).status_code == 400  # no name at all


# --- what the schema allows, the server takes ------------------------------------------------------------


@pytest.mark.parametrize("since", ["0.5", "1700000000", "yesterday", "2026-13-01T00:00:00Z"])
def test_since_must_be_an_iso_date_time(keys, northside, since):
    response = keys["read"].get(f"/api/v1/customers/{northside.obfuscated_id}/eta-changes", {"since": since})
    assert response.status_code == 400 and response.json()["code"] == "BAD_REQUEST"


@pytest.mark.parametrize("since", ["2026-12-01T09:00:00+11:00", "2026-12-01T09:00:00Z", "2026-12-01 09:00"])
def test_iso_date_times_are_taken_for_since(keys, northside, since):
    response = keys["read"].get(f"/api/v1/customers/{northside.obfuscated_id}/eta-changes", {"since": since})
    assert response.status_code == 200


def test_the_admin_refuses_line_breaks_in_names_as_the_api_does(personas):
    form = {"display_name": "Evil\r\nBcc: x@example.com", "field_type": "Customer Name", "dd_name": "Evil"}
    response = as_user(personas["bob"]).post("/admin/customers/customer/add/", form)
    assert response.status_code == 200 and "control characters" in response.content.decode()
    assert not Customer.objects.exists()
