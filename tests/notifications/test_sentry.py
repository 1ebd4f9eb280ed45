"""A failing e-mail reaches Sentry (through the real SDK and a local DSN) without the address."""

from __future__ import annotations

from datetime import timedelta
from secrets import token_hex

import pytest
import sentry_sdk

from notifications.sending import MAX_FAILURES, notifications_send
from tests.buzeta.test_sentry_real import sentry_endpoint  # noqa: F401 - the local DSN fixture
from tests.notifications.conftest import after_settling, dated_orders, fetch, move
from tests.notifications.test_sending import subscribed

pytestmark = pytest.mark.django_db


def test_send_failures_reach_sentry_without_the_address(
    sentry_endpoint,  # noqa: F811
    northside,
    simulator,
    smtp_inbox,
    monkeypatch,
):
    address = f"{token_hex(6)}@builder.example"  # made at run time: not in this file's source lines
    subscribed(northside, address)
    move(simulator, dated_orders()[0], 4)
    fetch(northside)

    import notifications.sending

    def broken(subscription, moved):
        raise RuntimeError(f"could not render the alert for {subscription.email}")

    monkeypatch.setattr(notifications.sending, "alert_message", broken)
    notifications_send(now=after_settling())  # a bug of ours: logged with its traceback
    monkeypatch.undo()
    smtp_inbox.refuse_next = 100  # then the mail server refuses until the subscription pauses
    moment = after_settling()
    for _ in range(MAX_FAILURES - 1):  # the failure above was the first
        moment += timedelta(hours=4)  # past every back-off
        notifications_send(now=moment)
    sentry_sdk.flush(timeout=10)

    captured = "\n".join(sentry_endpoint.envelopes)
    assert "could not be built or sent" in captured and "RuntimeError" in captured
    assert "paused after 5 failed sends" in captured
    assert address not in captured and address.split("@")[0] not in captured
