"""Two real `send_notifications` processes at once, on the test database (SQLite file or PostgreSQL)."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import timedelta

import pytest

from customers.models import Customer
from history.models import EtaChange
from notifications.models import Delivery
from tests.conftest import ROOT, app_env
from tests.notifications.conftest import dated_orders, fetch, move
from tests.notifications.test_sending import subscribed

pytestmark = pytest.mark.django_db(transaction=True)

SUBSCRIBERS = 12


def test_two_processes_sending_at_once_send_each_alert_once(simulator, smtp_inbox, settings, tmp_path):
    settings.BUZ_FRESH_MINUTES = 0
    customer = Customer.objects.create(display_name="Northside Window Co", dd_name="Northside Window Co")
    fetch(customer)
    addresses = [f"person{n}@builder.example" for n in range(SUBSCRIBERS)]
    for address in addresses:
        subscribed(customer, address)
    move(simulator, dated_orders()[0], 4)
    move(simulator, dated_orders()[1], -2)
    fetch(customer)
    # Recorded a minute ago: alerts wait until a change has settled (sending.SETTLE).
    EtaChange.objects.update(detected_at=EtaChange.objects.first().detected_at - timedelta(minutes=1))
    smtp_inbox.messages.clear()

    env = app_env(
        simulator,
        tmp_path,
        EMAIL_URL=f"smtp://127.0.0.1:{settings.EMAIL_PORT}",
        BUZ_PUBLIC_URL="https://eta.blinds.example",
    )
    command = [sys.executable, "manage.py", "send_notifications"]
    workers = [
        subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for _ in range(2)
    ]
    outputs = [worker.communicate(timeout=120)[0] for worker in workers]
    assert [worker.returncode for worker in workers] == [0, 0], outputs

    assert sorted(m["To"] for m in smtp_inbox.messages) == sorted(addresses), outputs
    assert Delivery.objects.filter(kind=Delivery.ALERT, status=Delivery.SENT).count() == SUBSCRIBERS
    sent = [int(re.search(r"^sent (\d+) e-mails", out, re.MULTILINE).group(1)) for out in outputs]
    assert sum(sent) == SUBSCRIBERS, outputs  # shared between the two, whichever claimed each first
