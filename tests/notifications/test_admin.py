"""Subscriptions in the admin: who may see them, and every staff change in the audit trail."""

from __future__ import annotations

import pytest

from audit.models import AuditEvent
from notifications.models import Subscription
from tests.conftest import as_user
from tests.notifications.test_sending import subscribed

pytestmark = pytest.mark.django_db

LIST = "/admin/notifications/subscription/"


@pytest.mark.parametrize("who", ["anonymous", "carol", "dave"])
def test_subscriptions_are_for_staff_with_a_role(client, personas, customer, who):
    subscribed(customer)
    if who != "anonymous":
        client = as_user(personas[who])
    response = client.get(LIST)
    assert response.status_code in (302, 403)
    if response.status_code == 302:
        assert "/login/" in response["Location"]
    assert "ann@builder.example" not in response.content.decode()


def test_staff_additions_confirm_by_email_and_every_change_is_audited_without_the_address(
    personas, customer, smtp_inbox
):
    bob = as_user(personas["bob"])
    response = bob.post(
        f"{LIST}add/",
        {"customer": customer.pk, "email": "site@builder.example", "alerts": "on", "digest": "on", "min_days": 0},
    )
    assert response.status_code == 302
    subscription = Subscription.objects.get()
    assert subscription.confirmed_at is None and [m["To"] for m in smtp_inbox.messages] == ["site@builder.example"]
    assert bob.get(LIST).status_code == 200

    bob.post(LIST, {"action": "pause", "_selected_action": [subscription.pk]})
    bob.post(LIST, {"action": "resume", "_selected_action": [subscription.pk]})
    bob.post(f"{LIST}{subscription.pk}/delete/", {"post": "yes"})
    assert not Subscription.objects.exists()
    actions = list(AuditEvent.objects.order_by("pk").values_list("actor_name", "action", "object_repr"))
    assert [a[1] for a in actions] == [
        "added e-mail updates",
        "paused e-mail updates",
        "resumed e-mail updates",
        "removed e-mail updates",
    ]
    assert {a[0] for a in actions} == {"bob@example.com"}
    assert not [a for a in actions if "builder.example" in a[2]]  # the address goes with the subscription


def test_choosing_neither_kind_in_the_admin_is_a_form_error(personas, customer):
    response = as_user(personas["bob"]).post(f"{LIST}add/", {"customer": customer.pk, "email": "x@builder.example"})
    assert response.status_code == 200 and "Choose at least one kind of e-mail." in response.content.decode()
    assert not Subscription.objects.exists()
