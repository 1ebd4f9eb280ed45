"""The audit trail answers "who changed this, and when?" for every kind of change, whatever the door."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import responses
from django.test import Client
from django.utils import timezone

from audit.models import AuditEvent
from buzeta.api.keys import api_key_create
from customers.models import Customer
from odata.models import UpstreamCache
from reports.models import ReportJob
from statuses.models import StatusMapping
from tests.conftest import CBR_JOBS, DD_JOBS, TEST_ACTOR, as_user, make_job, run_command


@pytest.fixture
def northside(make_customer):
    return make_customer(display_name="Northside", dd_name="Northside")  # the name these tests speak of


def events(**filters) -> list[tuple]:
    return list(
        AuditEvent.objects.filter(**filters)
        .order_by("pk")
        .values_list("actor_kind", "actor_name", "action", "object_type", "object_repr")
    )


def last(**filters) -> AuditEvent:
    return AuditEvent.objects.filter(**filters).latest("pk")


# --- the admin ----------------------------------------------------------------------------------


def test_admin_customer_edits_are_recorded_with_the_user_and_the_fields(personas):
    alice = as_user(personas["alice"])
    form = {"display_name": "Murphy", "field_type": Customer.CUSTOMER_NAME, "dd_name": "Murphy Blinds", "cbr_name": ""}
    alice.post("/admin/customers/customer/add/", form)
    murphy = Customer.objects.get(display_name="Murphy")
    alice.post(f"/admin/customers/customer/{murphy.pk}/change/", {**form, "cbr_name": "Murphy CBR"})
    alice.post(f"/admin/customers/customer/{murphy.pk}/delete/", {"post": "yes"})

    assert events(object_type="customer", object_id=str(murphy.pk)) == [
        ("user", "alice@example.com", "created", "customer", "Murphy"),
        ("user", "alice@example.com", "changed", "customer", "Murphy"),
        ("user", "alice@example.com", "deleted", "customer", "Murphy"),
    ]
    changed = AuditEvent.objects.filter(action="changed").get()
    assert changed.changes == {"cbr_name": ["", "Murphy CBR"]}
    assert changed.actor_user == personas["alice"]
    assert not Customer.objects.filter(pk=murphy.pk).exists()


def test_saving_a_customer_unchanged_records_nothing(personas, northside):
    form = {"display_name": "Northside", "field_type": Customer.CUSTOMER_NAME, "dd_name": "Northside", "cbr_name": ""}
    as_user(personas["bob"]).post(f"/admin/customers/customer/{northside.pk}/change/", form)
    assert not AuditEvent.objects.exists()


def test_a_bulk_delete_records_each_customer(personas, northside):
    other = Customer.objects.create(display_name="Other", dd_name="Other")
    selected = {"action": "delete_selected", "_selected_action": [northside.pk, other.pk], "post": "yes"}
    as_user(personas["bob"]).post("/admin/customers/customer/", selected)
    assert {e[-1] for e in events(action="deleted")} == {"Northside", "Other"}


def test_a_regenerated_link_says_who_and_which_links_without_keeping_them(personas, northside):
    old = northside.obfuscated_id
    as_user(personas["bob"]).post(
        "/admin/customers/customer/",
        {"action": "regenerate_links", "_selected_action": [northside.pk], "confirm": "yes"},
    )
    northside.refresh_from_db()
    event = last(action="regenerated link")
    assert (event.actor_name, event.object_id) == ("bob@example.com", str(northside.pk))
    assert event.changes == {"link": [f"…{old[-4:]}", f"…{northside.obfuscated_id[-4:]}"]}
    assert old not in json.dumps(event.changes) and northside.obfuscated_id not in json.dumps(event.changes)


@responses.activate
@pytest.mark.django_db(transaction=True)
def test_the_prewarm_action_is_recorded_against_the_customer(personas):
    northside = Customer.objects.create(display_name="Northside", dd_name="Northside")
    responses.get(DD_JOBS, json={"value": [{"RefNo": "1"}]})
    as_user(personas["alice"]).post(
        "/admin/customers/customer/", {"action": "prewarm", "_selected_action": [northside.pk]}
    )
    event = last(action="prewarmed")
    assert (event.actor_name, event.object_repr) == ("alice@example.com", "Northside")
    assert "1 customers ok" in event.summary


def test_status_mapping_edits_in_the_form_and_the_list_are_recorded(personas):
    bob = as_user(personas["bob"])
    bob.post(
        "/admin/statuses/statusmapping/add/", {"odata_status": "Sewing", "custom_status": "Being sewn", "active": "on"}
    )
    mapping = StatusMapping.objects.get()
    inline = {
        "form-TOTAL_FORMS": "1",
        "form-INITIAL_FORMS": "1",
        "form-0-id": str(mapping.pk),
        "form-0-custom_status": "Being sewn",
        "_save": "Save",
    }
    bob.post("/admin/statuses/statusmapping/", inline)
    bob.post(f"/admin/statuses/statusmapping/{mapping.pk}/delete/", {"post": "yes"})
    assert [e[2] for e in events(object_type="statusmapping")] == ["created", "changed", "deleted"]
    assert last(action="changed", object_type="statusmapping").changes == {"active": [True, False]}


@responses.activate
def test_refreshing_statuses_from_the_admin_is_recorded(personas):
    responses.get(DD_JOBS, json={"value": [{"ProductionStatus": "Cutting"}]})
    responses.get(CBR_JOBS, status=503)
    as_user(personas["bob"]).post("/admin/statuses/statusmapping/refresh/")
    event = last(action="refreshed statuses")
    assert event.actor_name == "bob@example.com"
    assert "added 1: Cutting" in event.summary and "CBR could not be read" in event.summary


def test_api_keys_made_and_revoked_in_the_admin_are_recorded(personas):
    alice = as_user(personas["alice"])
    alice.post("/admin/buzeta/apikey/add/", {"name": "chat-bot", "scope": "read"})
    key = AuditEvent.objects.get(action="created", object_type="apikey")
    assert key.actor_name == "alice@example.com" and key.object_repr.startswith("chat-bot")
    alice.post("/admin/buzeta/apikey/", {"action": "revoke", "_selected_action": [key.object_id]})
    assert last(action="revoked").actor_name == "alice@example.com"


# --- the API ------------------------------------------------------------------------------------


@pytest.fixture
def api(db) -> Client:
    return Client(HTTP_X_API_KEY=api_key_create(name="crm-sync", actor=TEST_ACTOR, scope="manage")[1])


def post_json(client, path, body, method="post"):
    return getattr(client, method)(path, json.dumps(body), content_type="application/json")


def test_every_api_write_is_recorded_with_the_keys_name(api):
    created = post_json(api, "/api/v1/customers", {"display_name": "Acme", "dd_name": "Acme Blinds"})
    link = created.json()["data"]["obfuscated_id"]
    post_json(api, f"/api/v1/customers/{link}", {"cbr_name": "Acme CBR"}, method="patch")
    api.delete(f"/api/v1/customers/{link}")
    assert events(actor_kind="api_key", object_type="customer") == [
        ("api_key", "crm-sync", "created", "customer", "Acme"),
        ("api_key", "crm-sync", "changed", "customer", "Acme"),
        ("api_key", "crm-sync", "deleted", "customer", "Acme"),
    ]
    assert last(action="changed").changes == {"cbr_name": ["", "Acme CBR"]}


def test_a_refused_api_write_records_nothing(api):
    response = post_json(api, "/api/v1/customers", {"display_name": "Nobody", "dd_name": "", "cbr_name": ""})
    assert response.status_code == 400
    assert not AuditEvent.objects.filter(actor_kind="api_key").exists()


@responses.activate
def test_refreshing_statuses_through_the_api_is_recorded(api):
    responses.get(DD_JOBS, json={"value": [{"ProductionStatus": "Cutting"}]})
    responses.get(CBR_JOBS, json={"value": []})
    assert api.post("/api/v1/statuses/refresh").status_code == 200
    assert events(action="refreshed statuses") == [("api_key", "crm-sync", "refreshed statuses", "", "")]


# --- commands and schedules ----------------------------------------------------------------------


@responses.activate
@pytest.mark.django_db(transaction=True)
def test_commands_are_recorded_with_their_name_and_the_operator():
    Customer.objects.create(display_name="Northside", dd_name="Northside")
    responses.get(DD_JOBS, json={"value": [{"RefNo": "1", "ProductionStatus": "Cutting"}]})
    responses.get(CBR_JOBS, json={"value": []})
    for command in (["prewarm_cache"], ["refresh_statuses"], ["create_api_key", "ops"]):
        assert run_command(*command)[1] == 0
    assert run_command("clear_cache", confirm=True, jobs=True)[1] == 0
    assert run_command("purge_jobs", days=30)[1] == 0
    recorded = {(e.action, e.actor_name.split(" ")[0]) for e in AuditEvent.objects.filter(actor_kind="command")}
    assert recorded == {
        ("prewarmed", "prewarm_cache"),
        ("refreshed statuses", "refresh_statuses"),
        ("created", "create_api_key"),
        ("cleared the cache", "clear_cache"),
        ("purged report jobs", "clear_cache"),
        ("purged report jobs", "purge_jobs"),
    }
    assert all("(as " in e.actor_name for e in AuditEvent.objects.filter(actor_kind="command"))


def test_a_dry_run_records_nothing(northside):
    UpstreamCache.objects.create(key="DD:customer:x", instance="DD", target_name="x", fetched_at=timezone.now())
    run_command("clear_cache", dry_run=True, jobs=True)
    run_command("purge_jobs", days=1, dry_run=True)
    assert not AuditEvent.objects.exists() and UpstreamCache.objects.exists()


def test_the_legacy_import_records_each_row_it_writes(db, tmp_path):
    from tests.buzeta.test_legacy_import import legacy_db

    run_command("import_legacy", str(legacy_db(tmp_path / "legacy.db")))
    recorded = {(e.action, e.object_type) for e in AuditEvent.objects.filter(actor_name__startswith="import_legacy")}
    assert recorded == {("created", "customer"), ("created", "user"), ("changed", "user"), ("created", "statusmapping")}
    assert AuditEvent.objects.filter(object_type="customer").count() == Customer.objects.count()


@responses.activate
@pytest.mark.django_db(transaction=True)
def test_scheduled_prewarm_and_purge_are_recorded_as_schedules():
    from customers.tasks import prewarm_cache_task
    from reports.tasks import purge_jobs_task

    northside = Customer.objects.create(display_name="Northside", dd_name="Northside")
    make_job(northside, status=ReportJob.DONE, finished_at=timezone.now() - timedelta(days=40))
    responses.get(DD_JOBS, json={"value": []})
    prewarm_cache_task()
    purge_jobs_task(days=30)
    assert events(actor_kind="schedule") == [
        ("schedule", "prewarm-cache", "prewarmed", "customer", "Northside"),
        ("schedule", "purge-jobs", "purged report jobs", "", ""),
    ]


# --- who may read it -----------------------------------------------------------------------------


def test_only_role_admin_sees_the_trail_and_nobody_edits_it(personas, northside):
    event = AuditEvent.objects.create(actor_kind="command", actor_name="x", action="changed", object_type="customer")
    alice, bob = as_user(personas["alice"]), as_user(personas["bob"])
    assert alice.get("/admin/audit/auditevent/").status_code == 200
    assert alice.get(f"/admin/audit/auditevent/{event.pk}/change/").status_code == 200  # the read-only view
    assert alice.get("/admin/audit/auditevent/add/").status_code == 403
    alice.post(f"/admin/audit/auditevent/{event.pk}/delete/", {"post": "yes"})
    assert AuditEvent.objects.filter(pk=event.pk).exists()
    assert bob.get("/admin/audit/auditevent/").status_code == 403

    page = f"/admin/customers/customer/{northside.pk}/change/"
    assert "Audit trail" in alice.get(page).content.decode()
    assert "Audit trail" not in bob.get(page).content.decode()


def test_the_customer_trail_link_answers_who_changed_its_link(personas, northside):
    from customers.services import customer_regenerate_link

    customer_regenerate_link(customer=northside, actor=TEST_ACTOR)
    trail = as_user(personas["alice"]).get(f"/admin/audit/auditevent/?object_type=customer&object_id={northside.pk}")
    page = trail.content.decode()
    assert trail.status_code == 200 and "regenerated link" in page and "pytest (as " in page
