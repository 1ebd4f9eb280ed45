"""Files every browser and crawler asks for, and the sessions Django never clears by itself."""

from __future__ import annotations

from datetime import timedelta
from urllib.robotparser import RobotFileParser

from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone


def test_the_favicon_is_an_icon_not_a_404(client):
    response = client.get("/favicon.ico")
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"
    assert body[:4] == b"\x00\x00\x01\x00"  # an ICO file


def test_pages_point_at_the_icons(client, db):
    page = client.get("/").content.decode()
    assert 'href="/favicon.ico"' in page and "favicon.svg" in page


def test_robots_keep_crawlers_off_customer_links(client):
    response = client.get("/robots.txt")
    body = (b"".join(response.streaming_content) if response.streaming else response.content).decode()
    assert response.status_code == 200 and response["Content-Type"].startswith("text/plain")
    robots = RobotFileParser()
    robots.parse(body.splitlines())
    robots.modified()  # parsed just now (can_fetch refuses everything otherwise)
    assert robots.can_fetch("Googlebot", "https://eta.example.com/")
    for path in ("/Xy9_legacy-Link-0001", "/etas/abc", "/sync/abc", "/admin/", "/api/v1/health"):
        assert not robots.can_fetch("Googlebot", f"https://eta.example.com{path}"), path


def test_expired_sessions_are_cleared_daily(db):
    from django_q.models import Schedule

    from buzeta.staff.tasks import clear_expired_sessions_task

    schedule = Schedule.objects.get(name="clear-expired-sessions")
    assert schedule.func == "buzeta.staff.tasks.clear_expired_sessions_task"
    assert schedule.schedule_type == Schedule.DAILY

    live, old = SessionStore(), SessionStore()
    live.create()
    old.set_expiry(timezone.now() - timedelta(days=1))
    old.create()
    assert clear_expired_sessions_task() == "cleared 1 expired sessions"
    assert list(Session.objects.values_list("session_key", flat=True)) == [live.session_key]
