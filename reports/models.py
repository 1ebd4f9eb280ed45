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
        return self.exclude(status__in=LIVE_STATUSES)

    def recently_failed(self, now=None) -> ReportJobQuerySet:
        cutoff = (now or timezone.now()) - timedelta(seconds=FAILURE_SHOWN_SECONDS)
        return self.filter(status=ReportJob.FAILED, finished_at__gte=cutoff)

    def stalled(self, now=None) -> ReportJobQuerySet:
        cutoff = (now or timezone.now()) - timedelta(seconds=settings.BUZ_JOB_STALL_SECONDS)
        return self.filter(
            Q(status=ReportJob.RUNNING, heartbeat_at__lt=cutoff) | Q(status=ReportJob.QUEUED, queued_at__lt=cutoff)
        )


class JobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


# A job still under way: at most one per customer (the constraint below), joined by every visitor.
LIVE_STATUSES = (JobStatus.QUEUED, JobStatus.RUNNING)


class ReportJob(models.Model):
    """Building one customer's report in the background, with progress for the loading page."""

    QUEUED, RUNNING, DONE, FAILED = JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.DONE, JobStatus.FAILED
    LIVE_STATUSES = LIVE_STATUSES

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="report_jobs")
    link_fingerprint = models.CharField(
        max_length=64,
        blank=True,
        editable=False,
        help_text="The customer's link when the job was made (a one-way hash): its report is shown only under it.",
    )
    status = models.CharField(max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
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
                fields=["customer"], condition=Q(status__in=LIVE_STATUSES), name="one_live_job_per_customer"
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
