"""/staff/today and the customer's admin page (interface §14): what they list, who may see them, what it costs."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from audit.models import AuditEvent
from buzeta.staff.lookup import lookup_table
from customers.models import Customer
from history.models import EtaChange, OrderEta
from lib.clock import business_today
from notifications.models import Delivery, Subscription
from notifications.sending import MAX_FAILURES
from odata.models import UpstreamCache
from odata.services import cache_fetch
from odata.targets import FetchTarget, key_words
from orders.wording import ago_words
from tests.conftest import SYDNEY, as_user, cache_rows, order_line

pytestmark = pytest.mark.django_db

TODAY_URL = "/staff/today"
_refs = iter(range(800000, 900000))


def order(*, eta, first=None, customer="Northside Window Co", line="Shutters", closed=False, seen_days_ago=1,
          seen_by="DD:customer:Northside Window Co", ref=None) -> OrderEta:  # fmt: skip
    now = timezone.now()
    return OrderEta.objects.create(
        instance="DD", ref_no=ref or str(next(_refs)), customer_name=customer, customer_key=customer.casefold(),
        production_line=line, seen_by=seen_by, first_eta=first or eta, current_eta=eta,
        first_seen_at=now - timedelta(days=seen_days_ago), closed_at=now if closed else None,
    )  # fmt: skip


def moved(record: OrderEta, days: int, *, ago=timedelta(days=1)) -> None:
    to = record.current_eta + timedelta(days=days)
    EtaChange.objects.create(order=record, from_eta=record.current_eta, to_eta=to, days=days,
                             production_line=record.production_line, detected_at=timezone.now() - ago)  # fmt: skip
    record.current_eta = to
    record.save(update_fields=["current_eta"])


def listed(page: str, key: str) -> str:
    """The HTML of one list of the page."""
    match = re.search(rf'<section class="module today-list" id="{key}".*?</section>', page, re.S)
    assert match, key
    return match.group(0)


def count_of(page: str, key: str) -> int:
    return int(re.search(rf'data-count="{key}"><strong>(\d+)</strong>', page).group(1))


@pytest.fixture
def bob(personas) -> Client:
    return as_user(personas["bob"])  # role `user`


def test_overdue_moved_and_unscheduled_orders_are_listed_with_links(bob, northside):
    today = business_today()
    late = order(eta=today - timedelta(days=3), ref="LATE1")
    order(eta=today - timedelta(days=3), closed=True, ref="CLOSED1")  # finished: nobody to call
    order(eta=today + timedelta(days=2), ref="SOON1")
    later = order(eta=today + timedelta(days=5), ref="MOVED1")
    moved(later, 4)
    moved(later, 3, ago=timedelta(hours=2))
    back = order(eta=today + timedelta(days=9), ref="BACK1")
    moved(back, -2)  # brought forward: good news, not a call
    old_move = order(eta=today + timedelta(days=9), ref="OLDMOVE")
    moved(old_move, 5, ago=timedelta(days=9))  # last week's news
    order(eta=None, seen_days_ago=10, ref="NODATE1")
    order(eta=None, seen_days_ago=2, ref="NODATE2")  # too new to chase

    page = bob.get(TODAY_URL).content.decode()
    assert (count_of(page, "overdue"), count_of(page, "moved"), count_of(page, "unscheduled")) == (1, 1, 1)
    overdue = listed(page, "overdue")
    assert "DD LATE1" in overdue and "3 days late" in overdue and "CLOSED1" not in overdue
    assert f'href="/admin/history/ordereta/{late.pk}/change/"' in overdue
    assert f'href="/admin/customers/customer/{northside.pk}/change/"' in overdue
    moves = listed(page, "moved")
    assert "DD MOVED1" in moves and "7 days later" in moves and "BACK1" not in moves and "OLDMOVE" not in moves
    unscheduled = listed(page, "unscheduled")
    assert "NODATE1" in unscheduled and "NODATE2" not in unscheduled


def test_group_members_orders_are_named_as_the_groups(bob, make_customer):
    group = make_customer(display_name="Coastal Living Group", dd_name="Coastal Living Group",
                          field_type=Customer.CUSTOMER_GROUP)  # fmt: skip
    order(eta=business_today() - timedelta(days=1), customer="Coastal Living Manly",
          seen_by="DD:group:Coastal Living Group", ref="G1")  # fmt: skip
    overdue = listed(bob.get(TODAY_URL).content.decode(), "overdue")
    assert f'href="/admin/customers/customer/{group.pk}/change/"' in overdue and "Coastal Living Manly" in overdue


def test_likely_late_orders_come_from_the_forecast(bob, northside, settings):
    settings.BUZ_FORECAST_MIN_ORDERS = 5
    today = business_today()
    for _ in range(5):
        order(eta=today - timedelta(days=30), first=today - timedelta(days=36), closed=True).__class__.objects.filter(
            current_eta=today - timedelta(days=30)).update(done_on=today - timedelta(days=30))  # fmt: skip
    order(eta=today + timedelta(days=3), first=today + timedelta(days=3), ref="TIGHT")  # likely by first + 6
    order(eta=today + timedelta(days=20), first=today + timedelta(days=3), ref="ROOMY")  # already moved past it
    page = bob.get(TODAY_URL).content.decode()
    likely = listed(page, "likely-late")
    assert count_of(page, "likely-late") == 1 and "TIGHT" in likely and "ROOMY" not in likely
    assert "likely by" in likely


def test_customers_with_a_name_matching_nothing_failing_fetches_or_paused_emails(bob, make_customer):
    now = timezone.now()
    misspelt = make_customer(display_name="Northside", dd_name="Northside Windw Co")
    UpstreamCache.objects.create(key="DD:customer:Someone", instance="DD", target_name="Someone", rows=[{}],
                                 row_count=3, order_count=1, customer_names=["Northside Window Co"],
                                 fetched_at=now)  # fmt: skip
    UpstreamCache.objects.create(key="DD:customer:Northside Windw Co", instance="DD",
                                 target_name="Northside Windw Co", fetched_at=now)  # fmt: skip
    failing = make_customer(display_name="Failing", dd_name="Failing Co")
    UpstreamCache.objects.create(key="DD:customer:Failing Co", instance="DD", target_name="Failing Co", row_count=4,
                                 order_count=1, fetched_at=now - timedelta(hours=3),
                                 failing_since=now - timedelta(hours=2), last_error_kind="timeout")  # fmt: skip
    briefly = make_customer(display_name="Briefly", dd_name="Briefly Co")
    UpstreamCache.objects.create(key="DD:customer:Briefly Co", instance="DD", target_name="Briefly Co", row_count=4,
                                 order_count=1, fetched_at=now, failing_since=now - timedelta(minutes=20))  # fmt: skip
    mailing = make_customer(display_name="Mailing", dd_name="Mailing Co")
    Subscription.objects.create(customer=mailing, email="x@example.com", confirmed_at=now, paused_at=now,
                                failures=MAX_FAILURES)  # fmt: skip

    page = bob.get(TODAY_URL).content.decode()
    customers = listed(page, "customers")
    assert count_of(page, "customers") == 3
    assert "DD name “Northside Windw Co” matched no orders" in customers
    assert "Use “Northside Window Co” for DD" in customers
    assert f'action="/admin/customers/customer/{misspelt.pk}/use-name/DD/"' in customers
    assert "Failing" in customers and "fetching has failed since" in customers
    assert "Briefly" not in customers  # twenty minutes of trouble is not yet a call
    assert "1 e-mail subscription paused after failed sends" in customers
    assert failing.pk and briefly.pk


def test_one_click_uses_the_nearest_known_name_audited_and_only_a_known_one(bob, make_customer, simulator):
    misspelt = make_customer(display_name="Northside", dd_name="Northside Windw Co")
    cache_fetch(FetchTarget("DD", "Northside Windw Co", False))  # matches nothing
    cache_fetch(FetchTarget("DD", "Sunset Shade Solutions", False))  # names BuzManager knows
    bob.get(TODAY_URL)  # a CSRF cookie, as the page gives
    url = f"/admin/customers/customer/{misspelt.pk}/use-name/DD/"
    refused = bob.post(url, {"use": "Anything I Like", "next": TODAY_URL}, follow=True)
    assert "is not a name BuzManager has sent us for DD" in refused.content.decode()
    misspelt.refresh_from_db()
    assert misspelt.dd_name == "Northside Windw Co"

    nearest = "Sunset Shade Solutions"  # the only close-enough known name in this test's cache
    done = bob.post(url, {"use": nearest, "next": TODAY_URL})
    assert done.status_code == 302 and done["Location"] == TODAY_URL
    misspelt.refresh_from_db()
    assert misspelt.dd_name == nearest
    assert AuditEvent.objects.filter(object_type="customer", object_id=str(misspelt.pk), action="changed").exists()
    assert bob.get(url).status_code == 405


def test_emails_today_count_what_was_sent_and_list_what_failed(bob, northside):
    subscription = Subscription.objects.create(customer=northside, email="ann@builder.example",
                                               confirmed_at=timezone.now())  # fmt: skip
    Delivery.objects.create(subscription=subscription, kind=Delivery.ALERT, period="1-2", status=Delivery.SENT)
    Delivery.objects.create(subscription=subscription, kind=Delivery.ALERT, period="2-3", status=Delivery.FAILED,
                            error="Recipient refused: 550 no such user")  # fmt: skip
    old = Delivery.objects.create(subscription=subscription, kind=Delivery.DIGEST, period="x", status=Delivery.FAILED)
    Delivery.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=2))
    page = bob.get(TODAY_URL).content.decode()
    emails = listed(page, "emails")
    assert "1 sent, 1 failed" in emails and "550 no such user" in emails and "a…@builder.example" in emails
    assert "ann@" not in page


def test_the_day_needs_a_staff_role(client, personas):
    assert client.get(TODAY_URL).status_code == 302
    assert as_user(personas["carol"]).get(TODAY_URL).status_code == 403
    assert as_user(personas["alice"]).get(TODAY_URL).status_code == 200
    assert as_user(personas["bob"]).post(TODAY_URL).status_code == 405
    index = as_user(personas["bob"]).get("/admin/").content.decode()
    assert 'href="/staff/today"' in index and index.index("/staff/today") < index.index("Look up an order")


def test_the_user_role_sees_only_what_its_work_needs(personas):
    index = as_user(personas["bob"]).get("/admin/").content.decode()
    for hidden in ("/admin/django_q/", "/admin/odata/fetchlease/", "/admin/socialaccount/", "/admin/admin/logentry/",
                   "/admin/auth/user/", "/admin/buzeta/apikey/"):  # fmt: skip
        assert hidden not in index, hidden
    for shown in ("/admin/customers/customer/", "/admin/statuses/statusmapping/", "/admin/history/ordereta/"):
        assert shown in index, shown


def test_the_day_costs_one_query_a_list_however_big_the_customer(bob, northside, django_assert_max_num_queries):
    today = business_today()
    records = [
        OrderEta(
            instance="DD",
            ref_no=str(n),
            customer_name="Northside Window Co",
            production_line="Shutters",
            seen_by="DD:customer:Northside Window Co",
            first_eta=today - timedelta(days=n % 20),
            current_eta=today + timedelta(days=(n % 40) - 20),
            first_seen_at=timezone.now(),
        )
        for n in range(8300)  # the 50,000-line customer's orders
    ]
    OrderEta.objects.bulk_create(records, batch_size=1000)
    bob.get(TODAY_URL)
    # Session, user, role, the admin menu; customers, their cache states, paused subscriptions, e-mails;
    # then one a list and the forecast table: 13 whatever the number of orders.
    with django_assert_max_num_queries(13):
        page = bob.get(TODAY_URL).content.decode()
    assert count_of(page, "overdue") > 200 and "The first 200 of" in listed(page, "overdue")


# --- the customer's admin page ----------------------------------------------------------------------


def test_the_customer_page_counts_open_orders_as_the_customers_page_does(bob, northside, client):
    rows = [
        order_line(RefNo="1"),
        order_line(RefNo="1", FixedLine=2, ProductionStatus="Invoiced"),
        order_line(RefNo="2", ProductionStatus="Invoiced"),  # finished: every line
        order_line(RefNo="2", FixedLine=2, ProductionStatus="Cancelled"),
        order_line(RefNo="3", DateScheduled=None),
        order_line(RefNo="4", ProductionStatus=None),
    ]
    cache_rows(northside, rows)
    customer_page = client.get(f"/{northside.obfuscated_id}").content.decode()
    shown = int(re.search(r'data-count="orders">(\d+)<', customer_page).group(1))
    admin_page = bob.get(f"/admin/customers/customer/{northside.pk}/change/").content.decode()
    assert shown == 3 and f"<strong>{shown}</strong> open orders, as the customer's page counts them" in admin_page
    listing = bob.get("/admin/customers/customer/").content.decode()
    assert f'<td class="field-open_orders">{shown}</td>' in listing


def test_the_customer_page_shows_subscribers_masked_emails_kept_after_unsubscribe_and_moves(bob, northside):
    subscription = Subscription.objects.create(customer=northside, email="ann@builder.example",
                                               confirmed_at=timezone.now())  # fmt: skip
    Delivery.objects.create(subscription=subscription, kind=Delivery.ALERT, period="1-2", status=Delivery.SENT,
                            items=7)  # fmt: skip
    Subscription.objects.create(customer=northside, email="bob@builder.example", confirmed_at=timezone.now())
    subscription.delete()  # Ann unsubscribed
    moved(order(eta=business_today() + timedelta(days=3), ref="M1"), 4)
    page = bob.get(f"/admin/customers/customer/{northside.pk}/change/").content.decode()
    assert "b…@builder.example" in page and "ann@" not in page and "bob@" not in page
    assert "a…@builder.example" in page and "(unsubscribed)" in page and "date-change alert, 7 items" in page
    assert "DD M1" in page and "4 later" in page


# --- readable names ------------------------------------------------------------------------------------


def test_lookup_rows_put_the_key_columns_first_and_times_in_the_business_time_zone():
    columns, rows = lookup_table([{"Zeta": 1, "DateScheduled": "2026-12-10T14:30:00Z", "RefNo": "5", "Alpha": None}])
    assert columns == ["RefNo", "DateScheduled", "Alpha", "Zeta"]
    assert rows == [["5", "11 Dec 2026, 1:30 am", "", "1"]]  # 14:30 UTC is the next morning in Sydney


def test_cache_keys_and_times_read_as_words():
    assert key_words("DD:group:Coastal Living Group") == "DD group “Coastal Living Group”"
    assert key_words("import") == "imported from a file"
    now = datetime(2026, 12, 7, 12, 0, tzinfo=SYDNEY)
    assert ago_words(now - timedelta(seconds=20), now) == "just now"
    assert ago_words(now - timedelta(minutes=1), now) == "1 minute ago"
    assert ago_words(now - timedelta(hours=5), now) == "5 hours ago"
    assert ago_words(now - timedelta(days=90), now) == "8 Sep 2026"
    assert date(2026, 12, 7)


def test_routine_schedule_runs_are_hidden_from_the_audit_trail_unless_asked(personas):
    AuditEvent.objects.create(actor_kind=AuditEvent.SCHEDULE, actor_name="refresh-cache", action="prewarmed")
    AuditEvent.objects.create(actor_kind=AuditEvent.USER, actor_name="alice@example.com", action="changed",
                              object_type="customer", object_id="1", object_repr="Northside")  # fmt: skip
    alice = as_user(personas["alice"])
    default = alice.get("/admin/audit/auditevent/").content.decode()
    assert "alice@example.com" in default and "refresh-cache" not in default
    shown = alice.get("/admin/audit/auditevent/?routine=shown").content.decode()
    assert "refresh-cache" in shown
    assert "By kind of actor" in default and "By by" not in default
