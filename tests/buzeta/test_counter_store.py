"""Rate-limit counters that cannot be evicted, and a counter store that cannot be written read as what it is."""

from __future__ import annotations

import logging
from contextlib import contextmanager

import pytest
from django.core.cache import caches
from django.db import OperationalError, connection
from django.test import Client

from buzeta.operations import health
from tests.conftest import counters_clear


@pytest.fixture
def limits(settings, fresh_counters):
    settings.RATELIMIT_ENABLE = True
    settings.RATELIMIT_PUBLIC = "5/m"
    settings.RATELIMIT_API_BAD_KEYS = "1000/m"
    health._last = None
    yield
    health._last = None


@contextmanager
def disk_full_for(table: str):
    """Every write to `table` fails as a full disk makes it fail (reads still work)."""

    def refuse(execute, sql, params, many, context):
        if table in sql and sql.lstrip().upper().startswith(("INSERT", "UPDATE")):
            raise OperationalError("database or disk is full")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(refuse):
        yield


def test_live_counters_survive_any_number_of_other_counters(limits):
    counters = caches["ratelimit"]
    counters.add("mine", 1, 300)
    for n in range(1200):  # Django's database cache would have culled a third of the rows four times
        counters.add(f"other-{n}", 1, 300)
    assert counters.incr("mine") == 2
    counters_clear()


def test_expired_counters_are_swept_and_live_ones_kept(limits, monkeypatch):
    import time_machine
    from django.utils import timezone

    counters = caches["ratelimit"]
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        counters.add("old", 1, 10)
        counters.add("live", 1, 3600)
        traveller.shift(120)
        monkeypatch.setattr(counters, "_swept_at", 0.0)
        counters.add("trigger", 1, 60)
        with connection.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM buzeta_ratelimit")
            assert cursor.fetchone()[0] == 2
        assert counters.get("live") == 1


def test_a_page_whose_visit_cannot_be_counted_is_a_503_naming_the_cause_not_a_429(limits, customer, caplog):
    with disk_full_for("buzeta_ratelimit"), caplog.at_level(logging.ERROR):
        response = Client().get(f"/{customer.obfuscated_id}")
    assert response.status_code == 503 and response["Retry-After"]
    assert "briefly unavailable" in response.content.decode()
    assert "rate-limit counters cannot be written: database or disk is full" in caplog.text


def test_an_api_call_that_cannot_be_counted_is_a_json_503(limits, db):
    with disk_full_for("buzeta_ratelimit"):
        response = Client(HTTP_X_API_KEY="bze_nothing_wrong").get("/api/v1/customers")
    assert response.status_code == 503 and response.json()["code"] == "UNAVAILABLE"


def test_health_reports_a_database_that_takes_no_writes(limits, client):
    assert client.get("/api/v1/health").json()["db_write"] is True
    health._last = None
    with disk_full_for("buzeta_ratelimit"):
        response = client.get("/api/v1/health")
    body = response.json()
    assert response.status_code == 503 and body["status"] == "unavailable"
    assert body["db"] is True and body["db_write"] is False


def test_health_reports_a_data_directory_that_takes_no_writes(limits, client, settings, tmp_path):
    settings.DATA_DIR = tmp_path / "gone"  # nowhere to write
    response = client.get("/api/v1/health")
    assert response.status_code == 503 and response.json()["disk"] is False


def test_health_probes_writes_at_most_every_few_seconds(limits, client):
    writes = []

    def count(execute, sql, params, many, context):
        if "buzeta_ratelimit" in sql and sql.lstrip().upper().startswith(("INSERT", "UPDATE")):
            writes.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        for _ in range(5):
            assert client.get("/api/v1/health").status_code == 200
    assert len(writes) == 1
