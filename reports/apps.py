from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "Reports"

    def ready(self) -> None:
        from odata.signals import live_rows_fetched
        from reports import checks  # noqa: F401 - registers the system check
        from reports.history import record_live_rows
        from reports.schedules import schedules_sync

        live_rows_fetched.connect(record_live_rows, dispatch_uid="reports-eta-history")

        post_migrate.connect(schedules_sync, sender=self, dispatch_uid="reports-schedules")
