from django.apps import AppConfig
from django.db.models.signals import post_migrate


class NotificationsConfig(AppConfig):
    """E-mail alerts when an order's date moves, and a weekly digest: built on reports' ETA history."""

    name = "notifications"
    verbose_name = "E-mail updates"

    def ready(self) -> None:
        from notifications import checks  # noqa: F401 - registers the deploy check
        from notifications.schedules import schedules_sync

        post_migrate.connect(schedules_sync, sender=self, dispatch_uid="notifications-schedules")
