from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "Reports"

    def ready(self) -> None:
        from reports import checks  # noqa: F401 - registers the system check
        from reports.schedules import schedules_sync

        post_migrate.connect(schedules_sync, sender=self, dispatch_uid="reports-schedules")
