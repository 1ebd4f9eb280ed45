"""Every staff boundary: anonymous, no role, `user`, `admin`, deactivated."""

from __future__ import annotations

import pytest
import responses
from django.test import Client

from tests.conftest import CBR_ROOT, DD_ROOT, as_user

LOOKUPS = ["/jobs-schedule/DD/512877", "/wip/CBR/512877"]


@pytest.fixture
def upstream():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        for root in (DD_ROOT, CBR_ROOT):
            mock.get(f"{root}/JobsScheduleDetailed", json={"value": [{"RefNo": "512877", "CostPrice": 9.5}]})
            mock.get(f"{root}/WorkInProgress", json={"value": [{"RefNo": "512877", "Workstation": "Cutting"}]})
        yield mock


@pytest.mark.parametrize("path", LOOKUPS)
def test_anonymous_visitors_are_sent_to_sign_in_for_staff_lookups(client, db, path):
    response = client.get(path)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.parametrize("path", LOOKUPS)
def test_staff_without_a_role_are_refused_lookups(personas, path):
    assert as_user(personas["carol"]).get(path).status_code == 403


@pytest.mark.parametrize("who", ["alice", "bob", "root"])
@pytest.mark.parametrize("path", LOOKUPS)
def test_both_roles_can_use_the_lookups(personas, upstream, who, path):
    response = as_user(personas[who]).get(path)
    assert response.status_code == 200
    assert "512877" in response.content.decode()


def test_lookups_reject_unknown_instances_and_odd_order_numbers(personas, upstream):
    client = as_user(personas["bob"])
    assert client.get("/jobs-schedule/XYZ/512877").status_code == 404
    assert client.get("/wip/DD/512'877").status_code == 404


def test_a_deactivated_users_old_session_stops_working(personas):
    bob = personas["bob"]
    client = as_user(bob)
    assert client.get("/admin/").status_code == 200
    bob.is_active = False
    bob.save()
    response = client.get("/admin/")
    assert response.status_code == 302 and "login" in response["Location"]
    assert client.get("/wip/DD/1").status_code == 302


@pytest.mark.parametrize(
    ("who", "path", "status"),
    [
        ("bob", "/admin/auth/user/", 403),
        ("bob", "/admin/auth/group/", 403),
        ("bob", "/admin/admin/logentry/", 403),
        ("bob", "/admin/customers/customer/", 200),
        ("bob", "/admin/statuses/statusmapping/", 200),
        ("bob", "/admin/reports/reportjob/", 200),
        ("alice", "/admin/auth/user/", 200),
        ("alice", "/admin/admin/logentry/", 200),
        ("alice", "/admin/django_q/schedule/", 200),
        ("carol", "/admin/customers/customer/", 403),
    ],
)
def test_admin_pages_follow_the_role(personas, who, path, status):
    assert as_user(personas[who]).get(path).status_code == status


def test_a_user_role_cannot_change_a_user(personas):
    alice = personas["alice"]
    response = as_user(personas["bob"]).post(f"/admin/auth/user/{alice.pk}/change/", {"username": "mallory"})
    assert response.status_code == 403
    alice.refresh_from_db()
    assert alice.username == "alice"


def test_the_admin_login_goes_through_the_staff_sign_in(client, db):
    response = client.get("/admin/login/?next=/admin/customers/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=%2Fadmin%2Fcustomers%2F"
    assert client.get("/admin/login/?next=https://evil.example/").headers["Location"].endswith("next=%2Fadmin%2F")


def test_state_changes_need_post_with_csrf(personas):
    client = Client(enforce_csrf_checks=True)
    client.force_login(personas["alice"])
    assert client.get("/admin/statuses/statusmapping/refresh/").status_code == 405
    assert client.post("/admin/statuses/statusmapping/refresh/").status_code == 403  # no CSRF token
    assert client.post("/accounts/logout/").status_code == 403
    assert client.get("/admin/").status_code == 200  # still signed in: a GET does not log out


def test_the_admin_says_buzeta(personas):
    page = as_user(personas["alice"]).get("/admin/").content.decode()
    assert ">BuzETA<" in page
