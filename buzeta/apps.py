from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate


class BuzetaConfig(AppConfig):
    name = "buzeta"
    verbose_name = "BuzETA"

    def ready(self) -> None:
        from buzeta.roles import roles_sync_after_migrate

        # Keeps the "admin" role complete as later migrations add models. post_migrate
        # is only sent for apps with models, which this one has none of: hang it on auth's.
        post_migrate.connect(roles_sync_after_migrate, sender=apps.get_app_config("auth"), dispatch_uid="buzeta-roles")
        # The shared cache's table (rate limits, throttles) comes with `migrate`, so no deploy step can forget it.
        post_migrate.connect(_create_cache_table, sender=apps.get_app_config("auth"), dispatch_uid="buzeta-cache")


def _create_cache_table(using: str = "default", verbosity: int = 1, **kwargs) -> None:
    from django.core.management import call_command

    call_command("createcachetable", database=using, verbosity=0)
