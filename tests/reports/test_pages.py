from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import requests
import responses
import time_machine

from statuses.models import StatusMapping
from tests.conftest import CBR_JOBS, DD_JOBS, TEST_ACTOR, elements, order_line


def line(ref="512877", line_no=1, status="In Production", **extra):
    return order_line(RefNo=ref, FixedLine=line_no, ProductionStatus=status, CostPrice=88.2, Margin=61.5, **extra)


@responses.activate
@pytest.mark.parametrize("prefix", ["/", "/etas/", "/sync/"])
def test_report_page_lists_open_orders(client, open_report, customer, prefix):
    responses.get(DD_JOBS, json={"value": [line(), line(line_no=2, status="Sewing")]})
    response = open_report(client, f"{prefix}{customer.obfuscated_id}")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Order 512877" in page
    assert "8 Dec 2026" in page
    assert "Sewing" in page and "Roller Blind Blockout" in page
    assert "88.2" not in page and "61.5" not in page  # costs and margins never reach the page


@responses.activate
def test_a_trailing_slash_is_accepted(client, open_report, customer):
    responses.get(DD_JOBS, json={"value": [line()]})
    assert open_report(client, f"/etas/{customer.obfuscated_id}/").status_code == 200


@responses.activate
@pytest.mark.django_db(transaction=True)
def test_both_accounts_are_fetched_and_shown_apart(client, open_report, make_customer):
    both = make_customer(display_name="Sunset", dd_name="Sunset DD", cbr_name="Sunset CBR")
    responses.get(DD_JOBS, json={"value": [line(ref="1")]})
    responses.get(CBR_JOBS, json={"value": [line(ref="1", Customer="Sunset CBR")]})
    page = open_report(client, f"/{both.obfuscated_id}").content.decode()
    assert page.count('class="order-no">Order 1<') == 2
    assert elements(page, "details", data_supplier="DD") and elements(page, "details", data_supplier="CBR")
    # The same number from both factories: only there does the customer see the factory's name.
    assert page.count('class="factory"') == 2 and "Factory 1" in page and "Factory 2" in page


@responses.activate
def test_active_mapping_renames_and_inactive_is_ignored(client, open_report, customer):
    StatusMapping.objects.create(odata_status="In Production", custom_status="Being made", active=True)
    StatusMapping.objects.create(odata_status="Sewing", custom_status="Hidden name", active=False)
    responses.get(DD_JOBS, json={"value": [line(), line(line_no=2, status="Sewing")]})
    page = open_report(client, f"/{customer.obfuscated_id}").content.decode()
    assert "Being made" in page and ">In Production<" not in page
    assert "Hidden name" not in page and ">Sewing<" in page


@responses.activate
def test_upstream_text_is_escaped(client, open_report, customer):
    responses.get(DD_JOBS, json={"value": [line(Descn="<script>alert(1)</script>", InventoryItem="<b>x</b>")]})
    page = open_report(client, f"/{customer.obfuscated_id}").content.decode()
    assert "<script>alert(1)" not in page and "<b>x</b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


@responses.activate
def test_no_open_orders_shows_an_empty_state(client, open_report, customer):
    responses.get(DD_JOBS, json={"value": [line(status="Invoiced")]})
    response = open_report(client, f"/{customer.obfuscated_id}")
    assert response.status_code == 200
    assert "No open orders" in response.content.decode()


@responses.activate
def test_filters_in_the_url_are_applied_on_the_server(client, open_report, customer):
    responses.get(DD_JOBS, json={"value": [line(), line(line_no=2, status="Sewing")]})
    response = open_report(client, f"/{customer.obfuscated_id}", {"status": "sewing"})
    page = response.content.decode()
    assert not elements(page, "tr", data_status="In Production")
    assert len(elements(page, "tr", data_status="Sewing")) == 1
    assert response.context["report"].line_count == 1
    assert "1 of this order&#x27;s 2 lines match" in page or "1 of this order's 2 lines match" in page


@pytest.mark.parametrize("bad_id", ["nope", "a" * 65, "has.dot", "%00", "../etc/passwd"])
def test_unknown_or_malformed_ids_get_a_404_page(client, db, bad_id):
    response = client.get(f"/{bad_id}")
    assert response.status_code == 404
    assert "find that page" in response.content.decode()


@pytest.mark.parametrize(
    "query",
    [{"status": "x" * 500}, {"group": ["a"] * 50}, {"supplier": "y" * 2500}],
)
def test_absurd_query_strings_get_a_400(client, customer, query):
    response = client.get(f"/{customer.obfuscated_id}", query)
    assert response.status_code == 400
    assert "Traceback" not in response.content.decode()


@responses.activate
@pytest.mark.parametrize(
    ("upstream", "status", "words"),
    [
        ({"status": 503}, 503, "closed for reporting"),
        ({"body": requests.exceptions.ReadTimeout()}, 504, "too long"),
        ({"body": requests.exceptions.ConnectionError()}, 502, "could not get your orders"),
        ({"body": "<html>Sign in</html>", "status": 200}, 502, "could not get your orders"),
        ({"status": 500}, 502, "could not get your orders"),
    ],
)
def test_upstream_faults_become_a_friendly_page(client, open_report, customer, settings, upstream, status, words):
    from datetime import time

    settings.BUZ_BLACKOUT = (time(10), time(16))
    responses.get(DD_JOBS, **upstream)
    # Inside the blackout, whatever the clock of the machine running the tests says.
    with time_machine.travel(datetime(2026, 11, 23, 11, 0, tzinfo=ZoneInfo("Australia/Sydney")), tick=True):
        response = open_report(client, f"/{customer.obfuscated_id}")
    page = response.content.decode()
    assert response.status_code == status
    assert words in page
    assert "buz.test" not in page and "$filter" not in page and "Traceback" not in page


@responses.activate
@pytest.mark.django_db(transaction=True)
def test_one_account_down_shows_the_other_and_says_which_is_missing(client, open_report, make_customer):
    both = make_customer(display_name="Sunset", dd_name="Sunset", cbr_name="Sunset")
    responses.get(DD_JOBS, json={"value": [line(ref="1")]})
    responses.get(CBR_JOBS, status=503)
    response = open_report(client, f"/{both.obfuscated_id}")
    page = response.content.decode()
    assert response.status_code == 200
    assert "Order 1<" in page
    assert "Orders from Factory 2 are missing from this page" in page


def test_home_page_explains_and_shows_no_customer_data(client, customer):
    page = client.get("/").content.decode()
    assert "private link" in page
    assert customer.display_name not in page and customer.obfuscated_id not in page


def without_csrf(page: bytes) -> bytes:
    """A page with its per-visitor CSRF tokens blanked (each response masks its token afresh)."""
    import re

    return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]*"', b"", page)


def test_a_reused_page_carries_each_visitors_own_csrf_token(customer, settings):
    """The sign-up form on a kept page posts for whoever got the page, not for the visitor it was made for."""
    from django.core.cache import caches
    from django.test import Client
    from django.utils import timezone

    from odata.models import UpstreamCache
    from odata.targets import cache_key

    settings.REPORT_PAGE_CACHE_SECONDS = 60
    caches["pages"].clear()
    target = customer.fetch_targets[0]
    UpstreamCache.objects.create(
        key=cache_key(target), instance="DD", target_name=target.name, rows=[line()], fetched_at=timezone.now()
    )
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    first.get(f"/{customer.obfuscated_id}")
    page = second.get(f"/{customer.obfuscated_id}").content.decode()  # the page kept for the first visitor
    [form] = elements(page, "input", name="csrfmiddlewaretoken")
    posted = second.post(
        f"/{customer.obfuscated_id}/subscribe",
        {"csrfmiddlewaretoken": form["value"], "email": "ann@example.com", "alerts": "on"},
    )
    assert posted.status_code == 303
    caches["pages"].clear()


def test_a_settled_page_is_reused_for_a_few_seconds_with_only_the_customer_looked_up(
    client, customer, settings, django_assert_num_queries
):
    import time_machine
    from django.core.cache import caches

    from odata.models import UpstreamCache
    from odata.targets import cache_key

    settings.REPORT_PAGE_CACHE_SECONDS = 5
    caches["pages"].clear()
    target = customer.fetch_targets[0]
    with time_machine.travel("2026-11-23 08:00 +11:00", tick=False) as traveller:
        from django.utils import timezone

        UpstreamCache.objects.create(
            key=cache_key(target), instance="DD", target_name=target.name, rows=[line()], fetched_at=timezone.now()
        )
        first = client.get(f"/{customer.obfuscated_id}")
        StatusMapping.objects.create(odata_status="In Production", custom_status="Being made")
        with django_assert_num_queries(2):  # the customer (is the link still valid?) and the view count
            again = client.get(f"/{customer.obfuscated_id}")
        assert without_csrf(again.content) == without_csrf(first.content)  # the old name, up to 5 s
        traveller.shift(6)
        later = client.get(f"/{customer.obfuscated_id}").content.decode()
    assert "Being made" in later
    customer.refresh_from_db()
    assert customer.view_count == 3
    caches["pages"].clear()


def test_a_regenerated_or_deleted_link_is_a_404_on_the_very_next_request(client, customer, settings):
    from django.core.cache import caches
    from django.utils import timezone

    from customers.services import customer_regenerate_link
    from odata.models import UpstreamCache
    from odata.targets import cache_key

    settings.REPORT_PAGE_CACHE_SECONDS = 60
    target = customer.fetch_targets[0]
    UpstreamCache.objects.create(
        key=cache_key(target), instance="DD", target_name=target.name, rows=[line()], fetched_at=timezone.now()
    )
    old = customer.obfuscated_id
    assert client.get(f"/{old}").status_code == 200
    assert client.get(f"/{old}").status_code == 200  # served from the kept page
    new = customer_regenerate_link(customer=customer, actor=TEST_ACTOR)
    assert client.get(f"/{old}").status_code == 404
    assert client.get(f"/etas/{old}").status_code == 404
    assert client.get(f"/{new}").status_code == 200
    customer.delete()
    assert client.get(f"/{new}").status_code == 404
    caches["pages"].clear()


def test_view_counts_are_batched_and_add_up(customer, settings):
    from customers.services import customer_record_view, customer_views_flush

    settings.VIEW_COUNT_FLUSH_SECONDS = 3600
    for _ in range(5):
        customer_record_view(customer_id=customer.pk)
    customer.refresh_from_db()
    assert customer.view_count == 0  # not yet written
    customer_views_flush()
    customer.refresh_from_db()
    assert customer.view_count == 5 and customer.last_viewed_at is not None


def test_junk_query_parameters_share_one_kept_page(client, customer, settings):
    from django.core.cache import caches
    from django.utils import timezone

    from odata.models import UpstreamCache
    from odata.targets import cache_key

    settings.REPORT_PAGE_CACHE_SECONDS = 60
    pages = caches["pages"]
    pages.clear()
    target = customer.fetch_targets[0]
    UpstreamCache.objects.create(
        key=cache_key(target), instance="DD", target_name=target.name, rows=[line()], fetched_at=timezone.now()
    )
    first = client.get(f"/{customer.obfuscated_id}")
    for junk in ("utm_source=mail", "fbclid=abc123", "x=1&y=2", "utm_source=mail&fbclid=zzz"):
        assert without_csrf(client.get(f"/{customer.obfuscated_id}?{junk}").content) == without_csrf(first.content)
    # Counted in the cache's own store: the point is how many copies a worker holds.
    assert len(pages._cache) == 1
    client.get(f"/{customer.obfuscated_id}?status=In+Production")
    client.get(f"/{customer.obfuscated_id}?statusFilter=In+Production")  # the old name: the same filter
    assert len(pages._cache) == 2
    pages.clear()


def test_pages_are_compressed_with_a_length_that_varies(client, customer, simulator, open_report):
    """gzip for the big HTML, with Django's BREACH padding: the same page never has one fixed length."""
    import gzip

    open_report(client, f"/{customer.obfuscated_id}")
    sizes = set()
    for _ in range(6):
        response = client.get(f"/{customer.obfuscated_id}", HTTP_ACCEPT_ENCODING="gzip")
        assert response["Content-Encoding"] == "gzip"
        html = gzip.decompress(response.content).decode()
        assert "Open orders" in html and len(response.content) < len(html) / 3
        sizes.add(len(response.content))
    assert len(sizes) > 1
