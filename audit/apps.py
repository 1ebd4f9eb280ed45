from django.apps import AppConfig


class AuditConfig(AppConfig):
    """The ground floor beside odata: who changed what, for every door (admin, API, commands, schedules).

    Imports no other app, so every service can record through it."""

    name = "audit"
    verbose_name = "Audit trail"
    default_auto_field = "django.db.models.BigAutoField"
