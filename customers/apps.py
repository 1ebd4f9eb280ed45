from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CustomersConfig(AppConfig):
    name = "customers"
    verbose_name = "Customers"

    def ready(self) -> None:
        from customers.schedules import schedules_sync

        # After migrate, like Django's own permissions: the schedule table exists then.
        post_migrate.connect(schedules_sync, sender=self, dispatch_uid="customers-schedules")
