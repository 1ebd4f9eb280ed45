"""The walking skeleton end to end: a real simulator over HTTP, seeded customers, the page."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from customers.models import Customer

# Reports fetch both accounts on threads with their own connections: commit for real.
pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def seeded(db):
    out = StringIO()
    call_command("seed_demo", base_url="http://testserver", stdout=out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("name", "suppliers"),
    [
        ("Northside Window Co", {"DD"}),
        ("Sunset Shade Solutions", {"DD", "CBR"}),
        ("Coastal Living Group", {"DD", "CBR"}),
        ("O'Brien's Curtains", {"DD"}),
    ],
)
def test_seeded_customers_see_their_open_orders_from_the_simulator(
    client, open_report, simulator, seeded, name, suppliers
):
    customer = Customer.objects.get(display_name=name)
    response = open_report(client, f"/{customer.obfuscated_id}")
    assert response.status_code == 200
    report = response.context["report"]
    assert report.order_count > 3
    assert {o.instance for o in report.orders} == suppliers
    expected_members = {
        r["Customer"]
        for rows in simulator.dataset.jobs.values()
        for r in rows
        if (r["Customer"] == name or (customer.is_group and r["Customer"].startswith("Coastal Living ")))
    }
    assert {o.customer for o in report.orders} <= expected_members
    # Nothing finished, nothing that is not "Work in Progress", nothing internal.
    page = response.content.decode()
    for order in report.orders:
        assert any(line.raw_status.casefold() not in ("invoiced", "cancelled") for line in order.lines)
    assert "CostPrice" not in page and "BarcodeNo" not in page


def test_a_group_report_fetches_members_from_sales_report(client, open_report, simulator, seeded):
    group = Customer.objects.get(display_name="Coastal Living Group")
    open_report(client, f"/{group.obfuscated_id}")
    assert simulator.count(account="DESDR", entity_set="SalesReport") == 1
    assert simulator.count(account="WATSO", entity_set="SalesReport") == 1
    report_customers = {o.customer for o in open_report(client, f"/{group.obfuscated_id}").context["report"].orders}
    assert report_customers == {
        "Coastal Living Manly",
        "Coastal Living Cronulla",
        "Coastal Living Newcastle",
        "Coastal Living Wollongong",
    }


def test_report_matches_the_simulator_rows(client, open_report, simulator, seeded):
    """Every open order the simulator holds for the customer is on the page, and nothing else."""
    customer = Customer.objects.get(display_name="Northside Window Co")
    rows = [
        r
        for r in simulator.dataset.jobs["DESDR"]
        if r["Customer"] == customer.dd_name
        and r["OrderStatus"] == "Work in Progress"
        and r["ProductionStatus"] is not None
    ]
    finished = {"invoiced", "cancelled", "invoice ex gst fees - actioned in xero"}
    open_refs = {
        ref
        for ref in {r["RefNo"] for r in rows}
        if not all(r["ProductionStatus"].casefold() in finished for r in rows if r["RefNo"] == ref)
    }
    report = open_report(client, f"/{customer.obfuscated_id}").context["report"]
    assert {o.ref_no for o in report.orders} == open_refs


def test_seed_demo_is_idempotent_and_keeps_links(db, monkeypatch):
    monkeypatch.setenv("DEMO_ADMIN_PASSWORD", "correct horse battery")
    call_command("seed_demo", stdout=StringIO())
    ids = dict(Customer.objects.values_list("display_name", "obfuscated_id"))
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert dict(Customer.objects.values_list("display_name", "obfuscated_id")) == ids
    assert Customer.objects.count() == 4
    assert "password 'correct horse battery'" in out.getvalue()
    from django.contrib.auth import authenticate

    assert authenticate(username="admin", password="correct horse battery").is_superuser


def test_seed_demo_refuses_outside_development_and_changes_nothing(db, settings, monkeypatch):
    from django.contrib.auth.models import User
    from django.core.management.base import CommandError

    settings.IS_DEVELOPMENT, settings.APP_ENV = False, "production"
    monkeypatch.setenv("DEMO_ADMIN_PASSWORD", "correct horse battery")
    with pytest.raises(CommandError, match="only runs with APP_ENV=development"):
        call_command("seed_demo", stdout=StringIO())
    assert not Customer.objects.exists() and not User.objects.exists()


def test_seed_demo_never_resets_an_existing_admins_password(db, monkeypatch):
    from django.contrib.auth import authenticate
    from django.contrib.auth.models import User

    User.objects.create_superuser("admin", "ops@example.com", "the operators own password")
    monkeypatch.setenv("DEMO_ADMIN_PASSWORD", "correct horse battery")
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert authenticate(username="admin", password="the operators own password")
    assert authenticate(username="admin", password="correct horse battery") is None
    assert "correct horse battery" not in out.getvalue() and "left as it is" in out.getvalue()
