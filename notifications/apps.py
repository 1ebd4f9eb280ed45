from django.apps import AppConfig
from django.db.models.signals import post_migrate


class NotificationsConfig(AppConfig):
    """E-mail alerts when an order's date moves, and a weekly digest: built on reports' ETA history."""

    name = "notifications"
    verbose_name = "E-mail updates"

    def ready(self) -> None:
        from django.conf import settings

        from notifications import checks  # noqa: F401 - registers the deploy check
        from notifications.schedules import schedules_sync
        from reports.extras import PageExtra, page_extra_register

        # The customer page's "E-mail updates" button and sign-up panel, while e-mail can be sent.
        page_extra_register(
            PageExtra(
                action_template="notifications/_page_action.html",
                panel_template="notifications/_page_panel.html",
                enabled=lambda: settings.NOTIFICATIONS_ENABLED,
            )
        )

        post_migrate.connect(schedules_sync, sender=self, dispatch_uid="notifications-schedules")
