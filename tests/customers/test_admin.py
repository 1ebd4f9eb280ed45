"""The customer admin staff live in: links, regenerate and prewarm actions, views, history, validation."""

from __future__ import annotations

import pytest
import responses

from customers.models import Customer
from tests.conftest import DD_ROOT, as_user, elements


@pytest.fixture
def northside(make_customer):
    return make_customer(display_name="Northside", dd_name="Northside")  # the name these tests speak of


def test_the_customer_list_shows_the_link_with_copy_and_preview_buttons(personas, northside):
    page = as_user(personas["bob"]).get("/admin/customers/customer/").content.decode()
    assert f'data-copy="/{northside.obfuscated_id}"' in page
    [link] = elements(page, "a", href=f"/staff/preview/{northside.obfuscated_id}")
    assert link["target"] == "_blank"
    assert "admin-copy.js" in page


def test_regenerating_a_link_asks_first_then_retires_the_old_one(personas, northside, client):
    old = northside.obfuscated_id
    bob = as_user(personas["bob"])
    asked = bob.post("/admin/customers/customer/", {"action": "regenerate_links", "_selected_action": [northside.pk]})
    assert "will stop working at once" in asked.content.decode()
    northside.refresh_from_db()
    assert northside.obfuscated_id == old  # nothing happens on the first POST

    response = bob.post(
        "/admin/customers/customer/",
        {"action": "regenerate_links", "_selected_action": [northside.pk], "confirm": "yes"},
        follow=True,
    )
    northside.refresh_from_db()
    assert northside.obfuscated_id != old and len(northside.obfuscated_id) >= 22
    assert "New links for 1 customer(s)" in response.content.decode()
    assert client.get(f"/{old}").status_code == 404


@responses.activate
@pytest.mark.django_db(transaction=True)
def test_the_prewarm_action_fills_the_cache_and_says_how_it_went(personas):
    northside = Customer.objects.create(display_name="Northside", dd_name="Northside")
    responses.get(f"{DD_ROOT}/JobsScheduleDetailed", json={"value": [{"RefNo": "1"}]})
    response = as_user(personas["alice"]).post(
        "/admin/customers/customer/", {"action": "prewarm", "_selected_action": [northside.pk]}, follow=True
    )
    assert "Prewarmed 1 customers: 1 fetches, 1 customers ok, 0 failed." in response.content.decode()


def test_viewing_a_report_counts_in_the_admin(client, northside, monkeypatch):
    from django_q.conf import Conf

    monkeypatch.setattr(Conf, "SYNC", False)
    client.get(f"/{northside.obfuscated_id}")
    client.get(f"/etas/{northside.obfuscated_id}")
    northside.refresh_from_db()
    assert northside.view_count == 2 and northside.last_viewed_at is not None


def test_admins_see_the_change_history(personas, northside):
    alice = as_user(personas["alice"])
    form = {"display_name": "Northside Windows", "field_type": "Customer Name", "dd_name": "Northside", "cbr_name": ""}
    alice.post(f"/admin/customers/customer/{northside.pk}/change/", form)
    history = alice.get("/admin/admin/logentry/").content.decode()
    assert "Northside Windows" in history


def test_the_admin_refuses_a_name_that_differs_only_in_case(personas, northside):
    form = {"display_name": "NORTHSIDE", "field_type": Customer.CUSTOMER_NAME, "dd_name": "Other", "cbr_name": ""}
    response = as_user(personas["bob"]).post("/admin/customers/customer/add/", form)
    assert response.status_code == 200  # the form again, not a redirect
    assert response.context["adminform"].form.errors == {"display_name": ["A customer with this name already exists."]}
    assert Customer.objects.count() == 1
