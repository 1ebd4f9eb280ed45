from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from audit.services import Actor
from odata.simulator.server import SimulatorConfig, SimulatorServer, serve_in_thread

ROOT = Path(__file__).resolve().parent.parent
DD_ROOT = "https://buz.test/reports/DESDR"
CBR_ROOT = "https://buz.test/reports/WATSO"
DD_JOBS = f"{DD_ROOT}/JobsScheduleDetailed"
CBR_JOBS = f"{CBR_ROOT}/JobsScheduleDetailed"
SYDNEY = ZoneInfo("Australia/Sydney")
# Who the audit trail names for changes tests make directly through a service.
TEST_ACTOR = Actor.for_command("pytest")


def order_line(**fields) -> dict:
    """One open JobsScheduleDetailed row as BuzManager sends it (interface §10), with `fields` changed."""
    return {
        "RefNo": "512877",
        "FixedLine": 1,
        "ProductionStatus": "In Production",
        "DateScheduled": "2026-12-08T00:00:00Z",
        "ProductionLine": "Roller Blinds",
        "InventoryItem": "Roller Blind Blockout",
        "Descn": "Smith - upstairs",
        "OrderStatus": "Work in Progress",
        "Customer": "Northside Window Co",
        **fields,
    }


def database_url(db: dict) -> str:
    """The URL of the database the tests run on, for processes the tests start."""
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


@pytest.fixture(autouse=True)
def fake_upstream(settings, tmp_path) -> None:
    """Every test keeps its files out of the real data directory (the rest is tests/settings.py)."""
    settings.DATA_DIR = tmp_path


@pytest.fixture
def simulator_config() -> SimulatorConfig:
    return SimulatorConfig(username="sim", password="sim-pass", today=date(2026, 11, 23), page_size=50)


@pytest.fixture
def simulator(simulator_config, settings) -> Iterator[SimulatorServer]:
    """A real simulator on a free port, with both accounts pointed at it."""
    server = serve_in_thread(simulator_config)
    settings.BUZ_ACCOUNTS = {
        "DD": {"url": f"{server.root_url}/DESDR", "username": "sim", "password": "sim-pass"},
        "CBR": {"url": f"{server.root_url}/WATSO", "username": "sim", "password": "sim-pass"},
    }
    yield server
    server.shutdown()
    server.server_close()


def counters_clear() -> None:
    """Forget every rate-limit count and throttle (they live in tables outside the models, which test
    flushes leave alone)."""
    from django.core.cache import caches

    caches["ratelimit"].clear()
    caches["default"].clear()


@pytest.fixture
def fresh_counters(db):
    counters_clear()
    yield
    counters_clear()


@pytest.fixture
def make_customer(db):
    from customers.models import Customer

    def make(**fields) -> Customer:
        fields.setdefault("display_name", "Northside Window Co")
        fields.setdefault("dd_name", "Northside Window Co")
        return Customer.objects.create(**fields)

    return make


def cache_rows(customer, rows: list[dict], *, fetched_at=None, instance: str = "DD"):
    """The customer's cached copy in one account, as a fetch would have left it (fetched now unless said)."""
    from django.conf import settings
    from django.utils import timezone

    from lib.clock import business_tz
    from odata.models import UpstreamCache
    from odata.targets import cache_key
    from orders.rules import open_order_count

    target = next(t for t in customer.fetch_targets if t.instance == instance)
    entry, _ = UpstreamCache.objects.update_or_create(
        key=cache_key(target),
        defaults={
            "instance": instance,
            "target_name": target.name,
            "is_group": target.is_group,
            "rows": rows,
            "row_count": len(rows),
            "order_count": open_order_count(
                rows, instance=instance, tz=business_tz(), finished_statuses=settings.BUZ_FINISHED_STATUSES
            ),
            "fetched_at": fetched_at or timezone.now(),
        },
    )
    return entry


def make_job(customer, **fields):
    """A report job as job_start_or_join makes it: under the customer's current link."""
    from customers.links import link_fingerprint
    from reports.models import ReportJob

    return ReportJob.objects.create(
        customer=customer, link_fingerprint=link_fingerprint(customer.obfuscated_id), **fields
    )


def run_command(name: str, *args, **options) -> tuple[str, int]:
    """A management command as an operator runs it: (what it printed, its exit code)."""
    from io import StringIO

    from django.core.management import call_command
    from django.core.management.base import CommandError

    out = StringIO()
    options.setdefault("stderr", StringIO())
    try:
        call_command(name, *args, stdout=out, **options)
    except CommandError as exc:
        return out.getvalue() + str(exc), exc.returncode
    return out.getvalue(), 0


def elements(page: str, tag: str, **attrs: str) -> list[dict[str, str | None]]:
    """The attributes of every `tag` in `page` whose attributes include `attrs` (`data_x` means `data-x`).

    Tests ask what the markup means, not how it is spelt: attribute order, quoting and
    spacing may change freely.
    """
    from html.parser import HTMLParser

    wanted = {key.replace("_", "-"): value for key, value in attrs.items()}
    found: list[dict[str, str | None]] = []

    class Finder(HTMLParser):
        def handle_starttag(self, name, attributes):
            attributes = dict(attributes)
            if name == tag and all(attributes.get(k) == v for k, v in wanted.items()):
                found.append(attributes)

        handle_startendtag = handle_starttag

    Finder().feed(page)
    return found


def as_user(user):
    """A test client signed in as `user`."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def customer(make_customer):
    """The usual customer: Northside Window Co, in DD only."""
    return make_customer()


@pytest.fixture
def northside(customer):
    """The usual customer, by name, where a test speaks of Northside."""
    return customer


@pytest.fixture(autouse=True)
def jobs_run_inline(monkeypatch):
    """django-q2 runs tasks inside async_task (its sync mode) unless a test starts a real cluster.

    Requests run in autocommit in production, so a job enqueued "on commit" is
    enqueued at once; the test's wrapping transaction would hold it back forever.
    """
    from django_q.conf import Conf

    monkeypatch.setattr(Conf, "SYNC", True)
    monkeypatch.setattr("reports.jobs.transaction.on_commit", lambda callback, using=None, robust=False: callback())


@pytest.fixture
def open_report():
    """GET a customer page like a browser: follow the loading page's job to /report/<id>."""
    from reports.jobs import job_run

    def open_(client, path: str, data=None):
        response = client.get(path, data)
        context = response.context or {}
        if response.status_code == 200 and "job" in context and "report" not in context:
            job_id = str(context["job"].pk)
            job_run(job_id)  # what the worker does; a no-op if it already ran
            response = client.get(f"/report/{job_id}", data)
            if response.status_code == 302:  # a failed job sends the visitor back to the customer page
                response = client.get(response["Location"])
        return response

    return open_


def app_env(simulator, data_dir, **extra) -> dict:
    """Environment for a BuzETA process the tests start: the test database and the simulator."""
    from django.db import connection

    return {
        **{k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DJANGO_SETTINGS_MODULE")},
        "DATABASE_URL": database_url(connection.settings_dict),
        "BUZETA_DATA_DIR": str(data_dir),
        "BUZ_DD_URL": f"{simulator.root_url}/DESDR",
        "BUZ_CBR_URL": f"{simulator.root_url}/WATSO",
        "BUZ_DD_USERNAME": "sim",
        "BUZ_DD_PASSWORD": "sim-pass",
        "BUZ_CBR_USERNAME": "sim",
        "BUZ_CBR_PASSWORD": "sim-pass",
        "BUZ_BLACKOUT": "off",
        "Q_WORKERS": "1",
        **extra,
    }


class Process:
    """A child process with its output in a file, stopped with SIGTERM (then SIGKILL)."""

    def __init__(self, args: list[str], env: dict, log_path: Path) -> None:
        self.log_path = log_path
        with log_path.open("w") as log:
            # Its own process group, so kill() reaches every child (a qcluster is several processes).
            self.popen = subprocess.Popen(
                args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )

    def kill(self) -> None:
        """SIGKILL the whole group: a crash, with no chance to clean up."""
        import signal

        os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait()

    def stop(self) -> None:
        if self.popen.poll() is not None:
            return
        self.popen.terminate()
        try:
            self.popen.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait()

    def output(self) -> str:
        return self.log_path.read_text()


def wait_until(condition, *, timeout: float = 30, every: float = 0.05, why: str = "") -> None:
    """Poll `condition` until it holds (fault tests wait for what they wait for, not for a fixed time)."""
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, why or f"not within {timeout} s"
        time.sleep(every)


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(env: dict, log_path: Path) -> tuple[Process, str]:
    """gunicorn with gunicorn.conf.py on a free loopback port; returns it and its base URL once it answers."""
    import time

    import requests

    port = free_port()
    web_env = {"WEB_CONCURRENCY": "2", **env, "PORT": str(port), "ALLOWED_HOSTS": "127.0.0.1"}
    web = Process([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "buzeta.wsgi"], web_env, log_path)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            requests.get(f"{base}/", timeout=2)
            return web, base
        except requests.RequestException:  # refused while binding, or a read timeout while workers boot
            assert time.monotonic() < deadline, web.output()
            time.sleep(0.2)


@pytest.fixture
def qcluster(simulator, tmp_path, monkeypatch):
    """A real `manage.py qcluster` process on the test database, talking to the simulator."""
    from django_q.conf import Conf

    monkeypatch.setattr(Conf, "SYNC", False)  # this process only enqueues; the cluster runs
    worker = Process([sys.executable, "manage.py", "qcluster"], app_env(simulator, tmp_path), tmp_path / "qcluster.log")
    yield worker.popen
    worker.stop()


# --- staff personas: alice (admin role), bob (user role), carol (staff, no role),
# dave (user role, deactivated), root (superuser, break-glass password) ---------------


@pytest.fixture
def personas(db):
    from django.contrib.auth.models import Group, User

    def make(username, *, group=None, active=True, superuser=False):
        user = User.objects.create_user(
            username,
            email=f"{username}@example.com",
            password="correct horse battery staple",
            is_staff=True,
            is_active=active,
            is_superuser=superuser,
        )
        if group:
            user.groups.add(Group.objects.get(name=group))
        return user

    return {
        "alice": make("alice", group="admin"),
        "bob": make("bob", group="user"),
        "carol": make("carol"),
        "dave": make("dave", group="user", active=False),
        "root": make("root", superuser=True),
    }


# --- a real SMTP server (aiosmtpd) receiving what the app sends ----------------------------------


class Inbox:
    """What a real SMTP server on a loopback port received; it can refuse (4xx) the next N messages."""

    def __init__(self) -> None:
        import threading

        self.messages: list = []
        self.refuse_next = 0
        self.refusal = "451 4.3.0 Mailbox temporarily unavailable"
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 - aiosmtpd hook name
        with self.lock:
            if self.refuse_next > 0:
                self.refuse_next -= 1
                return self.refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd hook name
        import email
        import email.policy

        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append(message)
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list:
        return [m for m in self.messages if m["To"] == address]

    @staticmethod
    def text(message) -> str:
        return message.get_body(preferencelist=("plain",)).get_content()

    @staticmethod
    def html(message) -> str:
        return message.get_body(preferencelist=("html",)).get_content()


@pytest.fixture
def smtp_inbox(settings) -> Iterator[Inbox]:
    """Django's SMTP backend talking to a real aiosmtpd server started for the test."""
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 10
    settings.DEFAULT_FROM_EMAIL = "BuzETA <eta@blinds.example>"
    settings.BUZ_PUBLIC_URL = "https://eta.blinds.example"
    yield inbox
    controller.stop()
