"""Big customers: rows decoded and orders built once per fetch per process, never served stale."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from odata import services as odata_services
from odata.models import UpstreamCache
from odata.targets import cache_key
from reports import report as report_module
from tests.conftest import order_line


@pytest.fixture
def memos_on(settings):
    settings.CACHE_ROWS_MEMO_LINES = 1000
    settings.REPORT_MEMO_LINES = 1000
    for memo in (odata_services._rows_memo, report_module._orders_memo, report_module._derived_memo):
        memo.clear()
    yield
    for memo in (odata_services._rows_memo, report_module._orders_memo, report_module._derived_memo):
        memo.clear()


def store(customer, rows, at):
    target = customer.fetch_targets[0]
    UpstreamCache.objects.update_or_create(
        key=cache_key(target),
        defaults={"instance": "DD", "target_name": target.name, "rows": rows, "fetched_at": at},
    )


def test_a_repeat_view_reads_no_rows_and_a_new_fetch_shows_at_once(client, customer, memos_on, settings):
    settings.BUZ_FRESH_MINUTES = 60
    store(customer, [order_line(RefNo="100")], timezone.now())
    assert "Order 100" in client.get(f"/{customer.obfuscated_id}").content.decode()
    with CaptureQueriesContext(connection) as queries:
        again = client.get(f"/{customer.obfuscated_id}?status=In+Production")
    assert "Order 100" in again.content.decode()
    assert not any('"rows"' in q["sql"] for q in queries.captured_queries)  # the 50,000-row column is not read

    store(customer, [order_line(RefNo="200")], timezone.now())  # what a fetch does: new rows, new fetched_at
    page = client.get(f"/{customer.obfuscated_id}").content.decode()
    assert "Order 200" in page and "Order 100" not in page


def test_the_memos_hold_no_more_lines_than_allowed(customer, memos_on, settings):
    from odata.services import cache_peek

    settings.CACHE_ROWS_MEMO_LINES = 5
    settings.BUZ_FRESH_MINUTES = 60
    for n in range(4):
        store(customer, [order_line(RefNo=str(n), FixedLine=i) for i in range(2)], timezone.now())
        cache_peek(customer.fetch_targets[0])
    assert odata_services._rows_memo.weight <= 5
    assert len(odata_services._rows_memo) == 2


def test_menus_are_counted_once_per_fetch_not_per_view(client, customer, memos_on, settings, monkeypatch):
    counted = []
    real = report_module.filter_options
    monkeypatch.setattr(report_module, "filter_options", lambda orders: counted.append(1) or real(orders))
    settings.BUZ_FRESH_MINUTES = 60
    store(customer, [order_line(RefNo="100")], timezone.now())
    for query in ("", "?status=In+Production", "?page=2", "?q=100"):
        client.get(f"/{customer.obfuscated_id}{query}")
    assert len(counted) == 1
    store(customer, [order_line(RefNo="200", ProductionStatus="Packed")], timezone.now())
    page = client.get(f"/{customer.obfuscated_id}").content.decode()
    assert len(counted) == 2 and ">Packed<" in page
