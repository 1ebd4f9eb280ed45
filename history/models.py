"""ETA history: what each order was promised, and every time that promise moved."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class OrderEtaQuerySet(models.QuerySet):
    def open(self) -> OrderEtaQuerySet:
        return self.filter(closed_at__isnull=True)


class OrderEta(models.Model):
    """What BuzManager has promised for one order over time: its first and current ETA.

    An order is (instance, ref_no), as on the report; the ETA is the report's date rule
    (latest DateScheduled, a calendar date in BUZ_TIMEZONE). Written only from successful
    live fetches (history.recording), never from cached data.
    """

    instance = models.CharField(max_length=8)
    ref_no = models.CharField(max_length=64)
    customer_key = models.CharField(
        max_length=200, blank=True, help_text="BuzManager's Customer on the order, lower-cased (for matching)."
    )
    customer_name = models.CharField(max_length=200, blank=True)
    production_line = models.CharField(max_length=120, blank=True, help_text="The order's most common line.")
    seen_by = models.CharField(max_length=300, help_text="The cache key of the fetch that last returned it.")
    first_eta = models.DateField(null=True, blank=True, help_text="The first date we ever saw promised.")
    current_eta = models.DateField(null=True, blank=True)
    previous_eta = models.DateField(null=True, blank=True, help_text="The date before the last change.")
    first_seen_at = models.DateTimeField(default=timezone.now)
    eta_changed_at = models.DateTimeField(null=True, blank=True, help_text="When the ETA last changed.")
    closed_at = models.DateTimeField(
        null=True, blank=True, help_text="When a fetch of its customer stopped returning it (finished or cancelled)."
    )
    done_on = models.DateField(
        null=True,
        blank=True,
        help_text="The business day it was first seen done: finished or gone, or every line in a 'ready' status.",
    )

    objects = OrderEtaQuerySet.as_manager()

    class Meta:
        verbose_name = "order ETA"
        verbose_name_plural = "order ETAs"
        ordering = ["instance", "ref_no"]
        constraints = [models.UniqueConstraint(fields=["instance", "ref_no"], name="one_eta_record_per_order")]
        indexes = [
            models.Index(fields=["instance", "seen_by"], name="order_eta_seen_by_idx"),
            models.Index(fields=["instance", "customer_key"], name="order_eta_customer_idx"),
            models.Index(fields=["closed_at"], name="order_eta_closed_idx"),
            models.Index(fields=["instance", "done_on"], name="order_eta_done_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.instance} {self.ref_no}"

    @property
    def slip_days(self) -> int | None:
        """Done day minus the first promise, in days (negative when early); None until done."""
        if self.done_on and self.first_eta:
            return (self.done_on - self.first_eta).days
        return None

    @property
    def days_moved(self) -> int:
        """Days between the first promise and today's, later positive."""
        if self.first_eta and self.current_eta:
            return (self.current_eta - self.first_eta).days
        return 0


class EtaChange(models.Model):
    """One real change of an order's ETA, recorded once however many fetches saw it."""

    order = models.ForeignKey(OrderEta, on_delete=models.CASCADE, related_name="changes")
    from_eta = models.DateField()
    to_eta = models.DateField()
    days = models.IntegerField(help_text="Positive: later; negative: brought forward.")
    production_line = models.CharField(max_length=120, blank=True)
    detected_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "ETA change"
        ordering = ["-detected_at", "-id"]
        indexes = [models.Index(fields=["detected_at"], name="eta_change_detected_idx")]

    def __str__(self) -> str:
        return f"{self.order}: {self.from_eta} → {self.to_eta}"
