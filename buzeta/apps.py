from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate


class BuzetaConfig(AppConfig):
    """The top floor: settings and URLs (wiring), `api/` (JSON API and its keys), `staff/` (sign-in,
    roles, order lookups), `operations/` (legacy import, backups, the process manager). Its own
    model is ApiKey. Nothing below imports from here."""

    name = "buzeta"
    verbose_name = "BuzETA"

    def ready(self) -> None:
        from buzeta.staff import schedules
        from buzeta.staff.roles import roles_sync_after_migrate

        # Keeps the "admin" role complete as later migrations add models. Hung on auth's
        # post_migrate so it runs once per `migrate` (it creates every app's permissions first).
        post_migrate.connect(roles_sync_after_migrate, sender=apps.get_app_config("auth"), dispatch_uid="buzeta-roles")
        # The shared cache's table (rate limits, throttles) comes with `migrate`, so no deploy step can forget it.
        post_migrate.connect(schedules.schedules_sync, sender=self, dispatch_uid="buzeta-schedules")
        post_migrate.connect(_create_cache_table, sender=apps.get_app_config("auth"), dispatch_uid="buzeta-cache")


def _create_cache_table(using: str = "default", verbosity: int = 1, **kwargs) -> None:
    from django.core.management import call_command

    call_command("createcachetable", database=using, verbosity=0)
