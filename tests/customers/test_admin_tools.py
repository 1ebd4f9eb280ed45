"""Staff set up a customer without leaving the admin: names checked, fetch state listed, preview, lookups."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.utils import timezone

from customers.models import Customer
from odata.models import UpstreamCache
from statuses.models import StatusMapping
from tests.conftest import as_user, elements, run_command

LIST = "/admin/customers/customer/"


@pytest.fixture
def northside(make_customer):
    return make_customer(display_name="Northside", dd_name="Northside Window Co")  # the name these tests speak of


def cached(key: str, *, names=(), orders=0, age=timedelta(hours=2), failing=False, instance="DD", group=False):
    now = timezone.now()
    return UpstreamCache.objects.create(
        key=key,
        instance=instance,
        target_name=key.split(":", 2)[2],
        is_group=group,
        order_count=orders,
        row_count=orders * 3,  # a fetch that found orders found their lines
        customer_names=list(names),
        fetched_at=now - age,
        failing_since=now if failing else None,
        last_error_kind="unavailable" if failing else "",
    )


def row_of(page: str, name: str) -> str:
    start = page.index(f">{name}<")
    return page[start : page.index("</tr>", start)]


def test_the_list_shows_open_orders_data_age_and_the_last_fetch(personas, northside):
    other = Customer.objects.create(display_name="Sunset", dd_name="Sunset", cbr_name="Sunset")
    Customer.objects.create(display_name="Never", dd_name="Never Fetched")
    cached("DD:customer:Northside Window Co", orders=7)
    cached("DD:customer:Sunset", orders=3, failing=True)
    cached("CBR:customer:Sunset", orders=2, instance="CBR")
    page = as_user(personas["bob"]).get(LIST).content.decode()

    northside_row = row_of(page, "Northside")
    assert ">7<" in northside_row and "2\xa0hours old" in northside_row and "fetch-ok" in northside_row
    sunset_row = row_of(page, other.display_name)
    assert ">5<" in sunset_row and "unavailable" in sunset_row
    never_row = row_of(page, "Never")
    assert "not fetched yet" in never_row and ">—<" in never_row and "none yet" in never_row


def test_the_list_reads_the_cache_once_however_many_customers(personas, django_assert_max_num_queries, northside):
    for n in range(30):
        Customer.objects.create(display_name=f"Customer {n}", dd_name=f"Name {n}")
    bob = as_user(personas["bob"])
    bob.get(LIST)  # warm the session and permission caches
    with django_assert_max_num_queries(12):
        bob.get(LIST)


def test_a_name_buzmanager_does_not_know_gets_a_warning_with_the_nearest_names(personas):
    cached("DD:customer:a", names=["Northside Window Co", "Northwind Blinds", "Eastside Glass"])
    form = {"display_name": "North", "field_type": Customer.CUSTOMER_NAME, "dd_name": "Northside Windw Co"}
    response = as_user(personas["bob"]).post(f"{LIST}add/", {**form, "cbr_name": ""}, follow=True)
    text = response.content.decode()
    assert "DD name “Northside Windw Co” has no open orders" in text
    assert "Nearest known: Northside Window Co" in text
    assert Customer.objects.filter(display_name="North").exists()  # a warning, not a refusal


def test_a_known_name_or_an_account_we_know_nothing_about_gets_no_warning(personas):
    cached("DD:customer:a", names=["Northside Window Co"])
    form = {"display_name": "North", "field_type": Customer.CUSTOMER_NAME, "dd_name": "northside window co"}
    response = as_user(personas["bob"]).post(f"{LIST}add/", {**form, "cbr_name": "Anything"}, follow=True)
    assert "has no open orders" not in response.content.decode()


def test_the_name_boxes_suggest_what_buzmanager_has_sent(personas):
    cached("DD:customer:a", names=["Northside Window Co", "O'Brien's <Curtains>"])
    cached("DD:group:Coastal Living Group", orders=4, group=True)
    page = as_user(personas["bob"]).get(f"{LIST}add/").content.decode()
    [box] = elements(page, "input", name="dd_name")
    assert box["list"] == "known-names-DD"
    values = [o["value"] for o in elements(page, "option") if o.get("value")]
    assert {"Northside Window Co", "O'Brien's <Curtains>", "Coastal Living Group"} <= set(values)
    assert "<Curtains>" not in page  # escaped


def test_preview_shows_the_customers_page_with_a_banner_and_counts_no_view(personas, northside, simulator, open_report):
    bob = as_user(personas["bob"])
    loading = bob.get(f"/staff/preview/{northside.obfuscated_id}")
    page = open_report(bob, f"/staff/preview/{northside.obfuscated_id}")
    report = bob.get(f"/staff/preview/{northside.obfuscated_id}")
    assert report.status_code == 200 and "report" in report.context
    for response in (loading, report):
        divs = elements(response.content.decode(), "div")
        assert len([div for div in divs if "data-staff-preview" in div]) == 1
    assert page.status_code == 200
    northside.refresh_from_db()
    assert northside.view_count == 0 and northside.last_viewed_at is None


@pytest.mark.parametrize("who", ["anonymous", "carol"])
def test_preview_is_for_staff_with_a_role(client, personas, northside, who):
    if who != "anonymous":
        client = as_user(personas[who])
    response = client.get(f"/staff/preview/{northside.obfuscated_id}")
    assert response.status_code == 403 if who == "carol" else "/login/" in response["Location"]


def test_preview_of_an_unknown_link_is_a_404(personas):
    assert as_user(personas["bob"]).get("/staff/preview/AAAAAAAAAAAAAAAAAAAAAA").status_code == 404


def test_the_demo_has_customer_facing_status_names_and_seeding_twice_adds_none(db):
    run_command("seed_demo")
    names = dict(StatusMapping.objects.filter(active=True).values_list("odata_status", "custom_status"))
    assert names["Ready for Dispatch"] == "Ready to deliver" and len(names) == 9
    output, _ = run_command("seed_demo")
    assert "demo status names" not in output and StatusMapping.objects.count() == 9


def test_the_order_lookup_box_leads_to_the_lookup_page(personas):
    bob = as_user(personas["bob"])
    assert "Look up an order in BuzManager" in bob.get("/admin/").content.decode()
    response = bob.get("/staff/lookup", {"instance": "CBR", "order_no": "512877", "lookup": "wip"})
    assert response.status_code == 302 and response["Location"] == "/wip/CBR/512877"
    bad = bob.get("/staff/lookup", {"instance": "XX", "order_no": "5128 77"}, follow=True)
    assert "Enter an order number" in bad.content.decode()


@pytest.mark.parametrize("who", ["anonymous", "carol"])
def test_the_lookup_box_is_for_staff_with_a_role(client, personas, who):
    if who != "anonymous":
        client = as_user(personas[who])
    response = client.get("/staff/lookup", {"instance": "DD", "order_no": "1"})
    assert response.status_code == 403 if who == "carol" else "/login/" in response["Location"]


def test_the_user_role_sees_only_what_it_works_with(personas):
    request = RequestFactory().get("/admin/")
    request.user = personas["bob"]
    shown = {(app["app_label"], m["object_name"]) for app in admin.site.get_app_list(request) for m in app["models"]}
    assert shown == {
        ("customers", "Customer"),
        ("statuses", "StatusMapping"),
        ("history", "OrderEta"),
        ("reports", "ReportJob"),
        ("odata", "UpstreamCache"),
        ("notifications", "Subscription"),
    }
