from __future__ import annotations

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from customers.links import link_fingerprint

# A failure is shown (not retried) to visitors arriving this soon after it.
FAILURE_SHOWN_SECONDS = 60


class ReportJobQuerySet(models.QuerySet):
    def under_link(self, customer) -> ReportJobQuerySet:
        """The customer's jobs made under its current link."""
        return self.filter(customer=customer, link_fingerprint=link_fingerprint(customer.obfuscated_id))

    def live(self) -> ReportJobQuerySet:
        return self.filter(status__in=ReportJob.LIVE_STATUSES)

    def finished(self) -> ReportJobQuerySet:
        return self.filter(status__in=[ReportJob.DONE, ReportJob.FAILED])

    def recently_failed(self, now=None) -> ReportJobQuerySet:
        cutoff = (now or timezone.now()) - timedelta(seconds=FAILURE_SHOWN_SECONDS)
        return self.filter(status=ReportJob.FAILED, finished_at__gte=cutoff)

    def stalled(self, now=None) -> ReportJobQuerySet:
        cutoff = (now or timezone.now()) - timedelta(seconds=settings.BUZ_JOB_STALL_SECONDS)
        return self.filter(
            Q(status=ReportJob.RUNNING, heartbeat_at__lt=cutoff) | Q(status=ReportJob.QUEUED, queued_at__lt=cutoff)
        )


class ReportJob(models.Model):
    """Building one customer's report in the background, with progress for the loading page."""

    QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
    STATUS_CHOICES = [(QUEUED, "Queued"), (RUNNING, "Running"), (DONE, "Done"), (FAILED, "Failed")]
    LIVE_STATUSES = (QUEUED, RUNNING)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="report_jobs")
    link_fingerprint = models.CharField(
        max_length=64,
        blank=True,
        editable=False,
        help_text="The customer's link when the job was made (a one-way hash): its report is shown only under it.",
    )
    status = models.CharField(max_length=10, choices=STATUS_CHOICES, default=QUEUED)
    percent = models.PositiveSmallIntegerField(default=0)
    log = models.JSONField(default=list, blank=True, help_text="Progress lines shown on the loading page.")
    error = models.TextField(blank=True, help_text="What the customer was told when the job failed.")
    error_status = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="HTTP status of the failure page: 502, 503 or 504."
    )
    result = models.JSONField(null=True, blank=True, help_text="The rows each account gave, for /report/<id>.")
    source = models.CharField(max_length=20, blank=True, help_text="live, cached or mixed.")
    attempts = models.PositiveSmallIntegerField(default=0, help_text="Times a worker started it.")
    recoveries = models.PositiveSmallIntegerField(default=0, help_text="Times it was re-queued after stalling.")
    created_at = models.DateTimeField(auto_now_add=True)
    queued_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = ReportJobQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # At most one live job per customer: a second visitor joins the first.
            models.UniqueConstraint(
                fields=["customer"], condition=Q(status__in=["queued", "running"]), name="one_live_job_per_customer"
            ),
            models.CheckConstraint(condition=Q(percent__lte=100), name="report_job_percent_max_100"),
        ]
        indexes = [models.Index(fields=["status", "finished_at"], name="report_job_status_finished_idx")]

    def __str__(self) -> str:
        return f"{self.customer} — {self.status} ({self.percent}%)"

    @property
    def is_live(self) -> bool:
        return self.status in self.LIVE_STATUSES

    @property
    def made_for_current_link(self) -> bool:
        """Whether the link this job was made for is still the customer's link. A job from before
        a regenerated link (or from before jobs recorded their link) shows nothing and names nothing."""
        return bool(self.link_fingerprint) and self.link_fingerprint == link_fingerprint(self.customer.obfuscated_id)


class OrderEtaQuerySet(models.QuerySet):
    def open(self) -> OrderEtaQuerySet:
        return self.filter(closed_at__isnull=True)


class OrderEta(models.Model):
    """What BuzManager has promised for one order over time: its first and current ETA.

    An order is (instance, ref_no), as on the report; the ETA is the report's date rule
    (latest DateScheduled, a calendar date in BUZ_TIMEZONE). Written only from successful
    live fetches (reports.history), never from cached data.
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
        ]

    def __str__(self) -> str:
        return f"{self.instance} {self.ref_no}"

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
