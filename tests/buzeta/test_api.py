"""The JSON API: every endpoint's success and error paths, keys, envelope, OpenAPI."""

from __future__ import annotations

import io
import json

import pytest
import responses
from django.test import Client
from django.urls import resolve
from openapi_spec_validator import validate

from buzeta.api.keys import api_key_create, api_key_revoke
from buzeta.models import ApiKey
from customers.models import Customer
from reports.models import ReportJob
from statuses.models import StatusMapping
from tests.conftest import CBR_ROOT, DD_JOBS, TEST_ACTOR, counters_clear, order_line

ROW = order_line(
    ProductionStatus="Sewing", ProductionLine="Curtains", InventoryItem="Wave Curtain", Descn="Smith", CostPrice=9.9
)


@pytest.fixture
def key(db):
    return api_key_create(name="chat-bot", actor=TEST_ACTOR, scope="manage")


@pytest.fixture
def api(key) -> Client:
    return Client(HTTP_X_API_KEY=key[1])


@pytest.fixture
def northside(make_customer):
    return make_customer(display_name="Northside", dd_name="Northside")  # the name these tests speak of


def post(client, path, body, **extra):
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(path, data, content_type="application/json", **extra)


# --- keys -------------------------------------------------------------------------------------------


def test_health_needs_no_key_and_reports_the_database(client, db):
    response = client.get("/api/v1/health")
    assert response.status_code == 200 and response.json()["status"] == "ok" and response.json()["db"] is True


def test_health_is_503_when_the_database_is_unreachable(client, db, monkeypatch):
    from django.db import OperationalError

    class Unreachable:
        def cursor(self):
            raise OperationalError("could not connect to server")

    monkeypatch.setattr("buzeta.operations.health.connection", Unreachable())
    response = client.get("/api/v1/health")
    assert response.status_code == 503 and response.json()["db"] is False


@pytest.mark.parametrize("header", [None, "", "nonsense", "bze_deadbeef_wrong-secret"])
def test_missing_or_wrong_keys_get_401(db, key, header):
    client = Client(HTTP_X_API_KEY=header) if header is not None else Client()
    response = client.get("/api/v1/customers")
    assert response.status_code == 401
    assert response.json()["code"] == "UNAUTHORIZED"


def test_keys_are_stored_hashed_and_revocable(db, key):
    api_key, secret = key
    stored = ApiKey.objects.get(pk=api_key.pk)
    assert secret not in (stored.key_hash, stored.prefix) and len(stored.key_hash) == 64
    assert Client(HTTP_X_API_KEY=secret).get("/api/v1/customers").status_code == 200
    stored.refresh_from_db()
    assert stored.last_used_at is not None
    api_key_revoke(key=stored, actor=TEST_ACTOR)
    response = Client(HTTP_X_API_KEY=secret).get("/api/v1/customers")
    assert response.status_code == 403 and response.json()["code"] == "FORBIDDEN"


def test_keys_are_compared_in_constant_time(api, monkeypatch):
    import hmac

    import buzeta.api.keys

    calls = []
    original = hmac.compare_digest
    monkeypatch.setattr(buzeta.api.keys.hmac, "compare_digest", lambda a, b: calls.append(1) or original(a, b))
    api.get("/api/v1/customers")
    assert calls == [1]


def test_each_key_is_rate_limited(api, settings):
    settings.RATELIMIT_ENABLE = True
    settings.RATELIMIT_API = "3/m"
    counters_clear()
    statuses = [api.get("/api/v1/statuses").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    other = Client(HTTP_X_API_KEY=api_key_create(name="other", actor=TEST_ACTOR)[1])
    assert other.get("/api/v1/statuses").status_code == 200  # per key, not global
    counters_clear()


# --- customers ---------------------------------------------------------------------------------------


def test_customers_crud(api):
    created = post(api, "/api/v1/customers", {"display_name": "Sunset", "dd_name": "Sunset DD", "cbr_name": "S"})
    assert created.status_code == 201
    customer = created.json()["data"]
    oid = customer["obfuscated_id"]
    assert customer["report_url"] == f"/{oid}" and len(oid) >= 22
    assert api.get("/api/v1/customers").json()["meta"]["count"] == 1
    assert api.get(f"/api/v1/customers/{oid}").json()["data"]["dd_name"] == "Sunset DD"
    patched = api.patch(f"/api/v1/customers/{oid}", json.dumps({"cbr_name": ""}), content_type="application/json")
    assert patched.status_code == 200 and patched.json()["data"]["cbr_name"] == ""
    assert api.delete(f"/api/v1/customers/{oid}").status_code == 204
    assert api.get(f"/api/v1/customers/{oid}").status_code == 404


def test_a_customer_can_be_created_with_a_given_id(api):
    response = post(
        api, "/api/v1/customers", {"display_name": "L", "dd_name": "L", "obfuscated_id": "legacy-id-0123456789"}
    )
    assert response.status_code == 201
    again = post(
        api, "/api/v1/customers", {"display_name": "M", "dd_name": "M", "obfuscated_id": "legacy-id-0123456789"}
    )
    assert again.status_code == 409 and again.json()["code"] == "CONFLICT"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ('{"display_name": "X", "dd_name": ', "body"),  # malformed JSON
        ({"display_name": 5, "dd_name": "X"}, "display_name"),  # wrong type
        ({"display_name": "X", "dd_name": "X", "cost": 1}, "cost"),  # unknown field
        ({"display_name": "X"}, "body"),  # neither DD nor CBR name: the schema says so
        ({"display_name": "X\r\nBcc: x", "dd_name": "X"}, "display_name"),  # a line break
        ({"display_name": "X", "dd_name": "X", "field_type": "Customer"}, "field_type"),
        ({"display_name": "X" * 201, "dd_name": "X"}, "display_name"),
    ],
)
def test_bad_customer_bodies_get_400_with_the_field_and_save_nothing(api, northside, body, field):
    response = post(api, "/api/v1/customers", body)
    assert response.status_code == 400
    payload = response.json()
    assert payload["code"] == "BAD_REQUEST" and payload["error"]
    if field != "body":
        assert field in payload["fields"]
    assert Customer.objects.count() == 1


def test_bodies_over_1_mb_are_refused(api, northside):
    response = post(api, "/api/v1/customers", json.dumps({"display_name": "x" * (1024 * 1024 + 10)}))
    assert response.status_code == 400 and "1 MB" in response.json()["error"]
    assert Customer.objects.count() == 1


def test_a_patch_that_would_leave_no_name_is_refused_and_changes_nothing(api, northside):
    path = f"/api/v1/customers/{northside.obfuscated_id}"
    both = api.patch(path, json.dumps({"dd_name": "", "cbr_name": " "}), content_type="application/json")
    assert both.status_code == 400  # the schema says so
    last = api.patch(path, json.dumps({"dd_name": ""}), content_type="application/json")
    assert last.status_code == 409 and last.json()["code"] == "CONFLICT"  # the stored customer says so
    northside.refresh_from_db()
    assert northside.dd_name == "Northside"


def test_a_duplicate_display_name_is_a_conflict(api, northside):
    created = post(api, "/api/v1/customers", {"display_name": "NORTHSIDE", "dd_name": "Y"})
    assert created.status_code == 409 and "display_name" in created.json()["fields"]
    other = post(api, "/api/v1/customers", {"display_name": "Other", "dd_name": "Y"}).json()["data"]
    path = f"/api/v1/customers/{other['obfuscated_id']}"
    renamed = api.patch(path, json.dumps({"display_name": "northside"}), content_type="application/json")
    assert renamed.status_code == 409 and renamed.json()["code"] == "CONFLICT"


def test_wrong_methods_get_405_json(api, northside):
    response = api.post(f"/api/v1/customers/{northside.obfuscated_id}")
    assert response.status_code == 405
    assert response.json() == {"error": "Method not allowed.", "code": "METHOD_NOT_ALLOWED"}


# --- reports and jobs -----------------------------------------------------------------------------------


@responses.activate
def test_report_json_in_the_envelope_with_its_source(api, northside):
    responses.get(DD_JOBS, json={"value": [ROW, dict(ROW, FixedLine=2, ProductionStatus="Packed")]})
    body = api.get(f"/api/v1/reports/{northside.obfuscated_id}", {"status": "packed"}).json()
    assert body["meta"]["source"] == "live" and body["meta"]["refreshed_at"]
    assert body["data"]["order_count"] == 1 and body["data"]["line_count"] == 1
    order = body["data"]["orders"][0]
    assert order["expected"] == "2026-12-08" and order["lines"] == [
        {"line": "2", "item": "Wave Curtain", "group": "Curtains", "status": "Packed"}
    ]
    assert "CostPrice" not in json.dumps(body)


@responses.activate
def test_report_with_upstream_down_and_nothing_cached_is_a_json_error(api, northside):
    responses.get(DD_JOBS, status=503)
    response = api.get(f"/api/v1/reports/{northside.obfuscated_id}")
    assert response.status_code == 503 and response.json()["code"] == "UNAVAILABLE"


def test_unknown_customers_and_jobs_are_404_json(api):
    for path in (
        "/api/v1/reports/nobody-here-at-all",
        "/api/v1/jobs/not-a-uuid",
        "/api/v1/jobs/00000000-0000-0000-0000-000000000000",
        "/api/v1/customers/nobody-here-at-all",
    ):
        response = api.get(path)
        assert response.status_code == 404 and response.json()["code"] == "NOT_FOUND", path


@responses.activate
def test_generate_returns_a_job_that_can_be_followed(api, northside):
    responses.get(DD_JOBS, json={"value": [ROW]})
    response = api.post(f"/api/v1/reports/{northside.obfuscated_id}/generate")
    assert response.status_code == 202
    job_id = response.json()["data"]["job_id"]
    from reports.jobs import job_run

    job_run(job_id)
    status = api.get(f"/api/v1/jobs/{job_id}").json()["data"]
    assert status["status"] == "completed" and status["done"] is True and status["job_id"] == job_id
    assert status["pct"] == 100 and status["report_url"] == f"/report/{job_id}"
    assert ReportJob.objects.count() == 1


@responses.activate
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_download_through_the_api(api, northside, fmt):
    responses.get(DD_JOBS, json={"value": [ROW]})
    response = api.get(f"/api/v1/reports/{northside.obfuscated_id}/download", {"format": fmt})
    assert response.status_code == 200
    assert "Northside-open-orders-" in response["Content-Disposition"]
    body = b"".join(response.streaming_content)
    if fmt == "csv":
        assert body.decode("utf-8-sig").startswith("RefNo,DateScheduled")
    else:
        from openpyxl import load_workbook

        assert load_workbook(io.BytesIO(body)).active["A2"].value == "512877"


def test_download_in_an_unknown_format_is_400(api, northside):
    response = api.get(f"/api/v1/reports/{northside.obfuscated_id}/download", {"format": "pdf"})
    assert response.status_code == 400 and "format" in response.json()["fields"]


# --- statuses -------------------------------------------------------------------------------------------


@responses.activate
def test_statuses_list_and_refresh(api):
    StatusMapping.objects.create(odata_status="Sewing", custom_status="Being sewn")
    assert api.get("/api/v1/statuses").json()["data"] == [
        {"odata_status": "Sewing", "custom_status": "Being sewn", "active": True}
    ]
    responses.get(DD_JOBS, json={"value": [{"ProductionStatus": "Cutting"}]})
    responses.get(f"{CBR_ROOT}/JobsScheduleDetailed", json={"value": [{"ProductionStatus": "Sewing"}]})
    refreshed = api.post("/api/v1/statuses/refresh").json()["data"]
    assert refreshed == {"added": ["Cutting"], "seen": 2, "failed": {}}


# --- OpenAPI ---------------------------------------------------------------------------------------------


EXPECTED = {
    ("get", "/api/v1/health"),
    ("get", "/api/v1/customers"),
    ("post", "/api/v1/customers"),
    ("get", "/api/v1/customers/{obfuscated_id}"),
    ("put", "/api/v1/customers/{obfuscated_id}"),
    ("patch", "/api/v1/customers/{obfuscated_id}"),
    ("get", "/api/v1/customers/{obfuscated_id}/eta-changes"),
    ("delete", "/api/v1/customers/{obfuscated_id}"),
    ("get", "/api/v1/reports/{obfuscated_id}"),
    ("post", "/api/v1/reports/{obfuscated_id}/generate"),
    ("get", "/api/v1/jobs/{job_id}"),
    ("get", "/api/v1/reports/{obfuscated_id}/download"),
    ("get", "/api/v1/statuses"),
    ("post", "/api/v1/statuses/refresh"),
}


def test_the_openapi_document_is_valid_and_matches_the_url_conf(client, db):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.json()
    validate(spec)
    operations = {(method, path) for path, item in spec["paths"].items() for method in item if method != "parameters"}
    assert operations == EXPECTED
    for _method, path in operations:
        concrete = path.replace("{obfuscated_id}", "abcdefghijklmnop").replace("{job_id}", "x")
        assert resolve(concrete).url_name, path  # every documented path is really routed
    assert spec["components"]["securitySchemes"]["KeyAuth"] == {"type": "apiKey", "in": "header", "name": "X-API-Key"}


# --- inputs that used to be 500s, and errors that must be JSON -------------------------------------------


@pytest.mark.parametrize("offset", ["9223372036854775808", "1000001", "-1", "x"])
def test_absurd_offsets_are_a_400_not_a_500(api, offset):
    response = api.get(f"/api/v1/customers?offset={offset}")
    assert response.status_code == 400 and response.json()["code"] == "BAD_REQUEST"


@pytest.mark.parametrize("field", ["display_name", "dd_name", "cbr_name"])
@pytest.mark.parametrize("bad", ["a\u0000b", "line\nbreak", "bell\u0007"])
def test_control_characters_in_json_fields_are_a_400(api, field, bad):
    body = {"display_name": "Tidy Blinds", "dd_name": "Tidy Blinds", field: bad}
    response = api.post("/api/v1/customers", body, content_type="application/json")
    assert response.status_code == 400 and field in response.json()["fields"]
    assert not Customer.objects.filter(display_name__startswith="Tidy").exists()


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/customers/ab%00cd",
        "/api/v1/reports/ab%00cd",
        "/api/v1/reports/x?status=a%00b",
        "/api/v1/customers/a%20b",
    ],
)
def test_nul_bytes_in_paths_and_filters_are_a_400(api, path):
    response = api.get(path)
    assert response.status_code == 400 and response["Content-Type"].startswith("application/json")


def test_a_blank_display_name_is_taken_from_the_names(api):
    response = api.post("/api/v1/customers", {"display_name": "   ", "dd_name": "X"}, content_type="application/json")
    assert response.status_code == 201 and response.json()["data"]["display_name"] == "X"


@pytest.mark.parametrize("path", ["/api/v1/nope", "/api/v1/customers/x/y/z", "/api/nope"])
def test_unknown_api_paths_answer_a_json_404(api, path):
    response = api.get(path)
    assert response.status_code == 404
    assert response.json() == {"error": "Not found.", "code": "NOT_FOUND"}


def test_the_openapi_document_declares_every_error_and_the_name_rule(client, db):
    document = client.get("/api/v1/openapi.json").json()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            codes = set(operation["responses"])
            if path != "/api/v1/health":
                assert {"400", "401", "403", "429"} <= codes, (method, path, codes)
            if "{obfuscated_id}" in path:
                assert "404" in codes
            if path.startswith("/api/v1/reports/{obfuscated_id}") and method == "get":
                assert {"502", "503", "504"} <= codes
    assert "409" in document["paths"]["/api/v1/customers"]["post"]["responses"]
    customer_in = document["components"]["schemas"]["CustomerIn"]
    assert {tuple(rule["required"]) for rule in customer_in["anyOf"]} == {("dd_name",), ("cbr_name",)}
