"""Every change made in the admin is on the audit trail, through the admin's own forms: users, groups,
roles, superuser flags, schedules, cache entries, API keys — in the transaction that makes it."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.models import Group, User
from django.utils import timezone
from django_q.models import Schedule

from audit.admin_mixins import AuditedAdmin
from audit.models import AuditEvent
from audit.services import HIDDEN
from buzeta.api.keys import api_key_create
from buzeta.models import ApiKey
from odata.models import FetchLease, UpstreamCache
from tests.conftest import TEST_ACTOR, as_user

PASSWORD = "an unguessable pass phrase 42"


def events(object_type: str, **filters):
    return AuditEvent.objects.filter(object_type=object_type, **filters)


def user_form(user: User, **changes) -> dict:
    """The admin's user change form as a browser posts it, with `changes`."""
    form = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": "on" if user.is_active else "",
        "is_staff": "on" if user.is_staff else "",
        "is_superuser": "on" if user.is_superuser else "",
        "groups": [str(g.pk) for g in user.groups.all()],
        "last_login_0": "",
        "last_login_1": "",
        "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
        **changes,
    }
    return {key: value for key, value in form.items() if value != ""}


def test_every_admin_the_site_registers_records_its_changes():
    unaudited = [model.__name__ for model, model_admin in admin.site._registry.items()
                 if not isinstance(model_admin, AuditedAdmin)]  # fmt: skip
    assert unaudited == []
    assert {User, Group, Schedule, UpstreamCache, FetchLease, ApiKey} <= set(admin.site._registry)


def test_a_role_admin_creating_a_user_and_making_it_superuser_is_on_the_record(personas):
    alice = as_user(personas["alice"])  # role admin, not a superuser
    response = alice.post(
        "/admin/auth/user/add/",
        {"username": "erin", "usable_password": "true", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    erin = User.objects.get(username="erin")
    created = events("user", action="created", object_id=str(erin.pk)).get()
    assert created.actor_user == personas["alice"]
    assert created.changes["password"] == [HIDDEN, HIDDEN]  # named, never shown

    admin_role = Group.objects.get(name="admin")
    form = user_form(erin, is_staff="on", is_superuser="on", groups=[str(admin_role.pk)])
    response = alice.post(f"/admin/auth/user/{erin.pk}/change/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    changed = events("user", action="changed", object_id=str(erin.pk)).get()
    assert changed.changes["is_superuser"] == [False, True]
    assert changed.changes["is_staff"] == [False, True]
    assert changed.changes["groups"] == [[], ["admin"]]


def test_a_password_set_in_the_admin_is_recorded_without_the_password(personas):
    bob = personas["bob"]
    response = as_user(personas["alice"]).post(
        f"/admin/auth/user/{bob.pk}/password/",
        {"usable_password": "true", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 302
    event = events("user", action="changed", object_id=str(bob.pk)).get()
    assert event.changes == {"password": [HIDDEN, HIDDEN]}
    assert PASSWORD not in str(event.changes) and bob.password not in str(event.changes)


def test_a_roles_permissions_changed_in_the_admin_are_recorded(personas):
    role = Group.objects.get(name="user")
    kept = [str(p) for p in role.permissions.values_list("pk", flat=True)][:-1]
    response = as_user(personas["alice"]).post(
        f"/admin/auth/group/{role.pk}/change/", {"name": "user", "permissions": kept}
    )
    assert response.status_code == 302
    event = events("group", action="changed").get()
    before, after = event.changes["permissions"]
    assert len(before) == len(after) + 1


def test_schedules_change_timing_and_on_off_on_the_record_but_never_what_they_call(personas):
    schedule = Schedule.objects.get(name="refresh-cache")
    alice = as_user(personas["alice"])
    response = alice.post(
        f"/admin/django_q/schedule/{schedule.pk}/change/",
        {
            "func": "os.system",
            "args": "'touch /tmp/owned'",
            "schedule_type": Schedule.MINUTES,
            "minutes": "30",
            "next_run_0": "2026-12-08",
            "next_run_1": "09:00:00",
            "repeats": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    schedule.refresh_from_db()
    assert schedule.func == "customers.tasks.refresh_cache_task" and not schedule.args
    assert (schedule.minutes, schedule.repeats) == (30, 0)
    event = events("schedule", action="changed").get()
    assert event.changes["repeats"] == [-1, 0] and "func" not in event.changes
    assert alice.get("/admin/django_q/schedule/add/").status_code == 403


def test_cache_entries_and_leases_deleted_in_the_admin_are_recorded(personas):
    entry = UpstreamCache.objects.create(key="DD:customer:X", instance="DD", target_name="X")
    UpstreamCache.objects.create(key="DD:customer:Y", instance="DD", target_name="Y")
    lease = FetchLease.objects.create(key="DD:customer:X", owner="w1", expires_at=timezone.now())
    alice = as_user(personas["alice"])
    assert alice.post(f"/admin/odata/upstreamcache/{entry.pk}/delete/", {"post": "yes"}).status_code == 302
    selected = {"action": "delete_selected", "post": "yes", "_selected_action": [str(lease.pk)]}
    assert alice.post("/admin/odata/fetchlease/", selected).status_code == 302
    bulk = {"action": "delete_selected", "post": "yes",
            "_selected_action": [str(pk) for pk in UpstreamCache.objects.values_list("pk", flat=True)]}  # fmt: skip
    assert alice.post("/admin/odata/upstreamcache/", bulk).status_code == 302
    assert UpstreamCache.objects.count() == 0
    assert events("upstreamcache", action="deleted").count() == 2
    assert events("fetchlease", action="deleted").count() == 1


def test_an_api_key_deleted_in_the_admin_is_recorded(personas):
    key, _ = api_key_create(name="bot", actor=TEST_ACTOR)
    assert as_user(personas["alice"]).post(f"/admin/buzeta/apikey/{key.pk}/delete/", {"post": "yes"}).status_code == 302
    assert events("apikey", action="deleted", object_id=str(key.pk)).exists()


def test_a_change_whose_audit_event_cannot_be_written_is_not_made(personas, monkeypatch):
    erin = User.objects.create_user("erin", password=PASSWORD)

    def refuse(**_kwargs):
        raise RuntimeError("the trail is unavailable")

    monkeypatch.setattr(AuditEvent.objects, "create", refuse)
    client = as_user(personas["alice"])
    client.raise_request_exception = False
    response = client.post(f"/admin/auth/user/{erin.pk}/change/", user_form(erin, is_superuser="on"))
    assert response.status_code == 500
    erin.refresh_from_db()
    assert not erin.is_superuser


def test_only_role_admin_reads_the_change_history(personas, customer):
    path = f"/admin/customers/customer/{customer.pk}/history/"
    assert as_user(personas["bob"]).get(path).status_code == 403
    assert (
        "historylink"
        not in as_user(personas["bob"]).get(f"/admin/customers/customer/{customer.pk}/change/").content.decode()
    )
    assert as_user(personas["alice"]).get(path).status_code == 200


def test_the_view_on_site_shortcut_needs_a_role_that_may_see_the_object(personas, customer):
    from django.contrib.contenttypes.models import ContentType

    content_type = ContentType.objects.get_for_model(customer)
    path = f"/admin/r/{content_type.pk}/{customer.pk}/"
    refused = as_user(personas["carol"]).get(path)  # staff, no role
    assert refused.status_code == 403 and customer.obfuscated_id not in refused.content.decode()
    assert customer.obfuscated_id not in refused.get("Location", "")
    anonymous = as_user(personas["dave"]).get(path)  # deactivated: signed out
    assert anonymous.status_code == 302 and customer.obfuscated_id not in anonymous["Location"]
    allowed = as_user(personas["bob"]).get(path)
    assert allowed.status_code == 302 and allowed["Location"].endswith(f"/{customer.obfuscated_id}")
