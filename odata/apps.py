from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ODataConfig(AppConfig):
    name = "odata"
    verbose_name = "BuzManager data"

    def ready(self) -> None:
        from odata.schedules import schedules_sync

        # After migrate, like Django's own permissions: the schedule table exists then.
        post_migrate.connect(schedules_sync, sender=self, dispatch_uid="odata-schedules")
