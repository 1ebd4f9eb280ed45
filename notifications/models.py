from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from customers.models import Customer
from orders.wording import time_text

# A subscription wants alerts, the digest or both (the check constraint below); what forms say otherwise.
NOTHING_CHOSEN = "Choose at least one kind of e-mail."
# Alerts for every move, or only for moves of two days or a week and more.
MIN_DAYS_CHOICES = [(0, "any move"), (2, "2 days or more"), (7, "a week or more")]


def masked_address(email: str) -> str:
    """`n…@example.com`: enough for staff to tell addresses apart, not to read them."""
    local, _, domain = email.partition("@")
    return f"{local[:1]}…@{domain}"


def mailbox_of(email: str) -> str:
    """The mailbox an address delivers to, for counting what it is sent: lower-cased, without a
    `+tag` (ann+1@x and Ann+2@x both land in ann@x)."""
    local, _, domain = email.strip().lower().rpartition("@")
    return f"{local.split('+', 1)[0]}@{domain}"


class SubscriptionQuerySet(models.QuerySet):
    def active(self) -> SubscriptionQuerySet:
        """Confirmed and not paused: the ones that get alerts and digests."""
        return self.filter(confirmed_at__isnull=False, paused_at__isnull=True)

    def unconfirmed(self) -> SubscriptionQuerySet:
        return self.filter(confirmed_at__isnull=True)


class Subscription(models.Model):
    """One address that wants e-mail about one customer's orders.

    The address is personal data: shown to staff only, never logged (log lines name the
    subscription's id), and deleted with the row when its owner unsubscribes.
    """

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="subscriptions")
    email = models.EmailField(max_length=254)
    mailbox = models.CharField(
        max_length=254, editable=False, db_index=True, help_text="The address without +tags, lower-cased (caps)."
    )
    alerts = models.BooleanField("date changes", default=True, help_text="An e-mail when an order's date moves.")
    digest = models.BooleanField("Monday digest", default=False, help_text="What is due in the next two weeks.")
    min_days = models.PositiveSmallIntegerField(
        "alert for moves of",
        choices=MIN_DAYS_CHOICES,
        default=0,
        help_text="Date-change alerts only for moves of at least this many days (the digest lists every move).",
    )
    later_only = models.BooleanField(
        "only later dates", default=False, help_text="No alert when a date is brought forward."
    )
    created_at = models.DateTimeField(default=timezone.now)
    added_by = models.CharField(max_length=150, blank=True, help_text="The customer page, or the staff member.")
    confirmed_at = models.DateTimeField(
        null=True, blank=True, help_text="Nothing but the confirmation goes out before."
    )
    paused_at = models.DateTimeField(null=True, blank=True)
    pause_reason = models.CharField(max_length=300, blank=True)
    # The last ETA change (EtaChange.id) an alert has covered: the next alert lists those after it.
    alert_cursor = models.BigIntegerField(default=0, editable=False)
    failures = models.PositiveIntegerField(default=0, editable=False, help_text="Failed sends in a row.")
    last_error = models.CharField(max_length=500, blank=True, editable=False)
    last_failed_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Set while a failed e-mail waits for its retry: no new alert is started until it is through.
    retry_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = SubscriptionQuerySet.as_manager()

    class Meta:
        ordering = ["customer__display_name", "email"]
        constraints = [
            # The same address twice (in any case) is one subscription.
            models.UniqueConstraint("customer", Lower("email"), name="one_subscription_per_address"),
            models.CheckConstraint(condition=Q(alerts=True) | Q(digest=True), name="subscription_wants_something"),
        ]
        indexes = [models.Index(fields=["confirmed_at", "paused_at"], name="subscription_state_idx")]

    def __str__(self) -> str:
        return f"Subscription {self.pk} to {self.customer}"

    def save(self, *args, **kwargs) -> None:
        # What the address is, not what anyone sets: kept in step with it on every save.
        self.mailbox = mailbox_of(self.email)
        if kwargs.get("update_fields") is not None and "email" in kwargs["update_fields"]:
            kwargs["update_fields"] = {*kwargs["update_fields"], "mailbox"}
        super().save(*args, **kwargs)

    @property
    def state(self) -> str:
        if self.paused_at:
            return "paused"
        return "active" if self.confirmed_at else "awaiting confirmation"


class Delivery(models.Model):
    """One e-mail we claimed the right to send, and how sending it went.

    A delivery row is written before the message leaves, and (subscription, kind, period) is
    unique: two workers running the schedule at once cannot both send the same alert or digest.
    """

    CONFIRM, ALERT, DIGEST = "confirm", "alert", "digest"
    KINDS = [(CONFIRM, "confirmation"), (ALERT, "date-change alert"), (DIGEST, "weekly digest")]
    SENDING, SENT, FAILED = "sending", "sent", "failed"
    STATUSES = [(SENDING, "sending"), (SENT, "sent"), (FAILED, "failed")]

    # Kept when the address unsubscribes (the subscription goes, what it was sent stays, masked).
    subscription = models.ForeignKey(
        Subscription, null=True, blank=True, on_delete=models.SET_NULL, related_name="deliveries"
    )
    customer = models.ForeignKey(Customer, null=True, on_delete=models.CASCADE, related_name="+")
    sent_to = models.CharField("to", max_length=260, blank=True, help_text="The address, masked.")
    kind = models.CharField(max_length=10, choices=KINDS)
    # What this e-mail covers: alerts a range of ETA change ids ("41-57"), digests their Monday,
    # confirmations the request's number and the choices asked for.
    period = models.CharField(max_length=64)
    status = models.CharField(max_length=10, choices=STATUSES, default=SENDING)
    subject = models.CharField(max_length=300, blank=True)
    items = models.PositiveIntegerField(default=0, help_text="Changes or orders the e-mail lists.")
    attempts = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    # Alerts of a subscription with thresholds: the orders it lists and, for each, the date the
    # subscriber last knew ({"<OrderEta id>": "2026-12-01"}), so a retry sends what was chosen.
    told = models.JSONField(default=dict, blank=True, editable=False)

    class Meta:
        verbose_name_plural = "deliveries"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["subscription", "kind", "period"], name="one_delivery_per_period"),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="delivery_retry_idx")]

    def __str__(self) -> str:
        """`Date-change alert to a…@builder.example, 7 Dec 2026, 9:14 pm: sent`."""
        return f"{self.get_kind_display().capitalize()} to {self.sent_to or 'a removed address'}, " + (
            f"{time_text(self.created_at)}: {self.get_status_display()}"
        )

    def save(self, *args, **kwargs) -> None:
        # Who it was for, from its subscription while there is one: kept after an unsubscribe.
        if self.subscription is not None:
            self.customer_id = self.customer_id or self.subscription.customer_id
            self.sent_to = self.sent_to or masked_address(self.subscription.email)
        super().save(*args, **kwargs)


class ToldDate(models.Model):
    """The date a subscriber with alert thresholds last knew for an order.

    Moves are measured from it, so a date that slips a day at a time is alerted once it has
    moved `min_days` from what the subscriber was told, not never.
    """

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="told_dates")
    order = models.ForeignKey("history.OrderEta", on_delete=models.CASCADE, related_name="+")
    eta = models.DateField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["subscription", "order"], name="one_told_date_per_order")]

    def __str__(self) -> str:
        return f"{self.order} told {self.eta}"
