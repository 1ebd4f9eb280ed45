"""Exports are built once per data version and filters; repeats are a file send or a 304."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

import pytest
from django.utils import timezone

from odata.models import UpstreamCache
from odata.targets import cache_key
from reports import exports
from reports.kept_exports import exports_purge
from tests.conftest import order_line


@pytest.fixture
def cached(customer, settings):
    settings.BUZ_FRESH_MINUTES = 60

    def store(rows):
        target = customer.fetch_targets[0]
        UpstreamCache.objects.update_or_create(
            key=cache_key(target),
            defaults={"instance": "DD", "target_name": target.name, "rows": rows, "fetched_at": timezone.now()},
        )

    store([order_line()])
    return store


@pytest.fixture
def builds(monkeypatch):
    made = []
    real = exports.csv_chunks

    def counting(orders, columns):
        made.append(1)
        return real(orders, columns)

    monkeypatch.setattr(exports, "csv_chunks", counting)
    return made


def body(response) -> bytes:
    return b"".join(response.streaming_content)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_repeat_download_is_sent_from_the_kept_file_or_answered_304(client, customer, cached, fmt):
    url = f"/{customer.obfuscated_id}/download.{fmt}"
    first = client.get(url)
    assert first.status_code == 200 and first["ETag"] and first["Last-Modified"]
    assert first["Cache-Control"] == "private, no-cache"
    content = body(first)
    second = client.get(url)
    assert second["ETag"] == first["ETag"] and body(second) == content
    unchanged = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert unchanged.status_code == 304 and not unchanged.content
    assert "attachment" in unchanged["Content-Disposition"]


def test_the_export_is_built_once_for_the_same_data_and_filters(client, customer, cached, builds):
    url = f"/{customer.obfuscated_id}/download.csv"
    for _ in range(3):
        body(client.get(url))
    assert len(builds) == 1
    body(client.get(url, {"status": "In Production"}))  # other filters: another file
    assert len(builds) == 2


def test_new_data_gives_a_new_etag_and_new_content(client, customer, cached):
    url = f"/{customer.obfuscated_id}/download.csv"
    first = client.get(url)
    body(first)
    cached([order_line(RefNo="600")])
    again = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 200 and again["ETag"] != first["ETag"]
    assert b"600" in body(again)


def kept_files(settings) -> list[Path]:
    return sorted(p for p in (Path(settings.DATA_DIR) / "exports").glob("*/*") if p.is_file())


def test_kept_exports_are_owner_only_and_purged_when_unused(client, customer, cached, settings):
    body(client.get(f"/{customer.obfuscated_id}/download.csv"))
    folder = Path(settings.DATA_DIR) / "exports"
    [kept] = kept_files(settings)
    assert kept.parent == folder / str(customer.pk)
    for path in (folder, kept.parent):
        assert stat.S_IMODE(path.stat().st_mode) == 0o700
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert exports_purge() == 0
    old = time.time() - 25 * 3600
    os.utime(kept, (old, old))
    body(client.get(f"/{customer.obfuscated_id}/download.csv"))  # used again: kept another day
    assert exports_purge() == 0
    os.utime(kept, (old, old))
    assert exports_purge() == 1 and not kept.exists()


def test_filter_values_that_match_nothing_share_one_kept_file(client, customer, cached, settings, builds):
    url = f"/{customer.obfuscated_id}/download.csv"
    for n in range(50):  # what filled the disk: a full copy per junk value
        body(client.get(url, {"supplier": f"junk{n}"}))
        body(client.get(url, {"status": f"junk{n}", "group": "Roller Blinds"}))
    assert len(kept_files(settings)) == 1 and len(builds) == 1
    # Values that match nothing beside ones that match: the same rows as the matching ones alone.
    body(client.get(url, {"status": "In Production"}))
    body(client.get(url, {"status": ["In Production", "junk"], "group": ["roller blinds", "nope"]}))
    body(client.get(url, {"status": "in production", "group": "Roller Blinds"}))
    assert len(kept_files(settings)) == 3


def test_kept_exports_are_bounded_per_customer_and_in_all_least_recently_used_first(
    client, customer, cached, settings, make_customer
):
    settings.BUZ_EXPORTS_KEPT_PER_CUSTOMER = 3
    settings.BUZ_EXPORTS_KEPT_TOTAL = 4
    cached([order_line(RefNo=str(n), ProductionStatus=f"Stage {n}") for n in range(6)])
    url = f"/{customer.obfuscated_id}/download.csv"
    first = client.get(url, {"status": "Stage 0"})
    body(first)
    for n in range(1, 6):
        body(client.get(url, {"status": f"Stage {n}"}))
        if n == 3:
            body(client.get(url, {"status": "Stage 0"}))  # used again: now the newest
    assert len(kept_files(settings)) == 3
    assert client.get(url, {"status": "Stage 0"}, HTTP_IF_NONE_MATCH="x").status_code == 200
    names = {p.name for p in kept_files(settings)}
    other = make_customer(display_name="Other", dd_name="Northside Window Co")
    for n in range(2):
        body(client.get(f"/{other.obfuscated_id}/download.csv", {"status": f"Stage {n}"}))
    assert len(kept_files(settings)) == 4
    assert len(names - {p.name for p in kept_files(settings)}) == 1  # the oldest in all went


def test_kept_exports_are_purged_every_hour(db):
    from django_q.models import Schedule

    schedule = Schedule.objects.get(name="purge-exports")
    assert schedule.func == "reports.tasks.purge_exports_task"
    assert (schedule.schedule_type, schedule.minutes) == (Schedule.MINUTES, 60)
