from django.db import models


class StatusMappingQuerySet(models.QuerySet):
    def active(self) -> "StatusMappingQuerySet":
        return self.filter(active=True)


class StatusMapping(models.Model):
    """Renames a raw BuzManager production status for customers."""

    odata_status = models.CharField(
        "BuzManager status", max_length=200, unique=True, help_text="Exactly as BuzManager spells it."
    )
    custom_status = models.CharField("Shown to customers as", max_length=200)
    active = models.BooleanField(default=True, help_text="Inactive mappings are ignored.")
    ready = models.BooleanField(
        "means ready",
        default=False,
        help_text="An order whose every line is in a 'ready' status is done (ETA history's done day, the forecast).",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = StatusMappingQuerySet.as_manager()

    class Meta:
        ordering = ["odata_status"]
        verbose_name = "status mapping"

    def __str__(self) -> str:
        return f"{self.odata_status} → {self.custom_status}"
