"""Refreshing statuses from BuzManager runs in the worker, and the status list says how it went."""

from __future__ import annotations

import pytest
import responses
from django.core.cache import cache
from django.utils import timezone

from statuses.services import REFRESH_STATE_KEY, statuses_refresh_enqueue, statuses_refresh_state
from tests.conftest import CBR_ROOT, DD_ROOT, as_user


@pytest.fixture(autouse=True)
def no_state(db):
    cache.delete(REFRESH_STATE_KEY)
    yield
    cache.delete(REFRESH_STATE_KEY)


@responses.activate
def test_the_list_shows_the_outcome_of_the_last_refresh(personas):
    responses.get(f"{DD_ROOT}/JobsScheduleDetailed", json={"value": [{"ProductionStatus": "Cutting"}]})
    responses.get(f"{CBR_ROOT}/JobsScheduleDetailed", status=503)
    page = as_user(personas["bob"]).post("/admin/statuses/statusmapping/refresh/", follow=True).content.decode()
    assert "Last refresh from BuzManager" in page and "Added 1 new status(es), inactive: Cutting." in page
    assert statuses_refresh_state()["state"] == "done"


def test_a_refresh_under_way_is_joined_not_started_again(db, monkeypatch):
    enqueued = []
    monkeypatch.setattr("statuses.services.async_task", lambda *args: enqueued.append(args))
    cache.set(REFRESH_STATE_KEY, {"state": "running", "at": timezone.now(), "message": "Reading…"})
    assert statuses_refresh_enqueue(user_id=1) is False and enqueued == []


def test_a_refresh_whose_worker_died_can_be_started_again(db, monkeypatch):
    enqueued = []
    monkeypatch.setattr("statuses.services.async_task", lambda *args: enqueued.append(args))
    cache.set(REFRESH_STATE_KEY, {"state": "running", "at": timezone.now() - timezone.timedelta(minutes=10)})
    assert statuses_refresh_enqueue(user_id=1) is True and len(enqueued) == 1


def test_while_running_the_list_updates_itself_and_the_button_waits(personas):
    cache.set(REFRESH_STATE_KEY, {"state": "running", "at": timezone.now(), "message": "Reading the statuses…"})
    page = as_user(personas["bob"]).get("/admin/statuses/statusmapping/").content.decode()
    assert 'http-equiv="refresh"' in page and "Refreshing from BuzManager…" in page
