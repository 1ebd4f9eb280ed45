from __future__ import annotations

from django.db import models


class UpstreamCache(models.Model):
    """The last rows BuzManager gave for one customer (or group) in one account.

    Rows are stored raw (only the fields the product uses) so that status
    mappings apply when the report is built, even from cache. `fetched_at`
    moves only on success; failures are recorded beside it.
    """

    key = models.CharField(max_length=300, unique=True)
    instance = models.CharField(max_length=8)
    target_name = models.CharField(max_length=200)
    is_group = models.BooleanField(default=False)
    rows = models.JSONField(default=list)
    row_count = models.PositiveIntegerField(default=0)
    order_count = models.PositiveIntegerField(
        default=0, help_text="Open orders in the rows, counted as the customer's page counts them."
    )
    customer_names = models.JSONField(
        default=list, blank=True, help_text="BuzManager's Customer names in the rows (staff name checks)."
    )
    fetched_at = models.DateTimeField(null=True, blank=True, help_text="When the rows were fetched (success only).")
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error_kind = models.CharField(max_length=32, blank=True)
    last_error_detail = models.CharField(max_length=300, blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    last_503_at = models.DateTimeField(null=True, blank=True)
    cooldown_until = models.DateTimeField(
        null=True,
        blank=True,
        help_text="After a failure the account is not called before this (503/429 Retry-After, or a brief back-off).",
    )
    failing_since = models.DateTimeField(
        null=True, blank=True, help_text="Start of the current run of failures; empty when the last attempt worked."
    )

    class Meta:
        verbose_name = "cached upstream data"
        verbose_name_plural = "cached upstream data"
        ordering = ["instance", "target_name"]
        indexes = [models.Index(fields=["instance", "cooldown_until"], name="cache_instance_cooldown_idx")]

    def __str__(self) -> str:
        return self.key

    @property
    def has_data(self) -> bool:
        return self.fetched_at is not None


class FetchLease(models.Model):
    """Who is fetching a cache key right now, so others wait instead of calling too.

    A lease expires on its own, so a process that dies mid-fetch cannot
    block a key for longer than `expires_at`.
    """

    key = models.CharField(max_length=300, unique=True)
    owner = models.CharField(max_length=64)
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.key} ({self.owner})"
