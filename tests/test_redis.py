"""REDIS_URL moves the django-q2 queue and Django's cache to Redis: a real redis-server, qcluster and gunicorn."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time

import pytest
import requests

from customers.models import Customer
from tests.conftest import Process, app_env, free_port, start_gunicorn

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
REDIS_SERVER = shutil.which("redis-server")


@pytest.fixture
def redis_url(tmp_path):
    if not REDIS_SERVER:
        if os.environ.get("CI"):
            pytest.fail("CI must run the Redis test, but redis-server is missing (apt-get install redis-server)")
        pytest.skip("NO redis-server: the Redis integration test is SKIPPED (apt-get install redis-server)")
    port = free_port()
    server = subprocess.Popen(
        [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    server.terminate()
    server.wait(timeout=10)


def test_a_report_job_goes_through_redis_end_to_end(simulator, redis_url, tmp_path):
    from django_q.models import OrmQ

    customer = Customer.objects.create(
        display_name="Sunset", dd_name="Sunset Shade Solutions", cbr_name="Sunset Shade Solutions"
    )
    env = app_env(simulator, tmp_path, REDIS_URL=redis_url, LOG_FORMAT="json")
    worker = Process([sys.executable, "manage.py", "qcluster"], env, tmp_path / "worker.log")
    web, base = start_gunicorn(env, tmp_path / "web.log")
    try:
        page = requests.get(f"{base}/{customer.obfuscated_id}", timeout=10)
        assert page.status_code == 200 and "data-job-id" in page.text
        assert page.headers["X-Request-ID"]
        job_id = page.text.split('data-job-id="', 1)[1].split('"', 1)[0]

        status = {}
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            status = requests.get(f"{base}/jobs/{job_id}", timeout=5).json()
            if status["status"] in ("done", "failed"):
                break
            time.sleep(0.2)
        assert status.get("status") == "done", (status, worker.output()[-2000:])
        report = requests.get(base + status["report_url"], timeout=10)
        assert report.status_code == 200 and "Order " in report.text
        # The task went through Redis: nothing ever sat in the database queue.
        assert OrmQ.objects.count() == 0
        import redis

        keys = " ".join(key.decode() for key in redis.from_url(redis_url).scan_iter())
        assert "django_q:buzeta:" in keys  # the cluster registered with Redis
        assert ":1:rl:" in keys  # rate-limit counters are in Django's cache, on Redis
    finally:
        web.stop()
        worker.stop()
    log = web.output()
    assert "Enqueued [django_q:buzeta:q]" in log  # the web process queued the job on Redis
    assert f'"request_id": "{page.headers["X-Request-ID"]}"' in log  # JSON log lines carry the request id
