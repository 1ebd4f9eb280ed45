"""django-q2 entry points: thin wrappers over the services."""

from __future__ import annotations

from notifications.links import ConfirmRequest
from notifications.sending import confirmation_send, notifications_send


def send_confirmation_task(
    subscription_id: int, alerts: bool, digest: bool, min_days: int = 0, later_only: bool = False
) -> str:
    sent = confirmation_send(request=ConfirmRequest(subscription_id, alerts, digest, min_days, later_only))
    return "confirmation sent" if sent else "confirmation not sent"


def send_notifications_task() -> str:
    return notifications_send().describe()
