from django.contrib import admin

from audit.services import Actor
from notifications.forms import SubscriptionAddForm
from notifications.models import Delivery, Subscription
from notifications.services import (
    confirmation_enqueue,
    subscription_change,
    subscription_remove,
    subscription_request,
    subscriptions_pause,
    subscriptions_resume,
)
from orders.wording import when_text


class DeliveryInline(admin.TabularInline):
    model = Delivery
    fields = ["created_at", "kind", "subject", "items", "status", "attempts", "sent_at", "error"]
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False
    ordering = ["-created_at", "-id"]
    show_change_link = False


class StateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("active", "active"), ("unconfirmed", "awaiting confirmation"), ("paused", "paused")]

    def queryset(self, request, queryset):
        if self.value() == "active":
            return queryset.active()
        if self.value() == "unconfirmed":
            return queryset.unconfirmed()
        if self.value() == "paused":
            return queryset.filter(paused_at__isnull=False)
        return queryset


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    audited_by_services = ("save", "delete")  # the services record these on the audit trail
    # Five short columns: the list fits 1280 px beside the admin's sidebars.
    list_display = ["email", "customer", "state_text", "wants", "last_sent"]
    list_filter = [StateFilter, "alerts", "digest"]
    list_select_related = ["customer"]
    search_fields = ["email", "customer__display_name"]
    readonly_fields = [
        "customer",
        "email",
        "added_by",
        "created_at",
        "confirmed_at",
        "paused_at",
        "pause_reason",
        "last_sent_at",
        "failures",
        "last_failed_at",
        "last_error",
    ]
    fieldsets = [
        (None, {"fields": ["customer", "email", "alerts", "digest", "min_days", "later_only"]}),
        ("State", {"fields": ["added_by", "created_at", "confirmed_at", "paused_at", "pause_reason"]}),
        ("Sending", {"fields": ["last_sent_at", "failures", "last_failed_at", "last_error"]}),
    ]
    inlines = [DeliveryInline]
    actions = ["pause", "resume"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = SubscriptionAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else []

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [
                (
                    None,
                    {
                        "fields": ["customer", "email", "alerts", "digest", "min_days", "later_only"],
                        "description": (
                            "The address gets a confirmation e-mail first; "
                            "nothing else is sent until its owner confirms."
                        ),
                    },
                )
            ]
        return self.fieldsets

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    @admin.display(description="state", ordering="confirmed_at")
    def state_text(self, obj: Subscription) -> str:
        if obj.paused_at:
            return f"paused: {obj.pause_reason}" if obj.pause_reason else "paused"
        if obj.failures:
            return f"{obj.state}, {obj.failures} failed in a row: {obj.last_error[:80]}"
        return obj.state

    @admin.display(description="e-mails")
    def wants(self, obj: Subscription) -> str:
        alerts = "date changes"
        limits = [obj.get_min_days_display()] if obj.min_days else []
        if obj.later_only:
            limits.append("later only")
        if limits:
            alerts += f" ({', '.join(limits)})"
        return ", ".join(kind for kind, wanted in ((alerts, obj.alerts), ("Mondays", obj.digest)) if wanted)

    @admin.display(description="last sent", ordering="last_sent_at")
    def last_sent(self, obj: Subscription) -> str:
        return when_text(obj.last_sent_at) if obj.last_sent_at else "—"

    def save_model(self, request, obj, form, change):
        actor = Actor.for_user(request.user)
        if change:
            subscription_change(subscription=obj, actor=actor)
            return
        outcome = subscription_request(
            customer=obj.customer,
            email=obj.email,
            alerts=obj.alerts,
            digest=obj.digest,
            min_days=obj.min_days,
            later_only=obj.later_only,
            actor=actor,
        )
        obj.pk = outcome.subscription.pk
        if outcome.confirmation is not None:
            confirmation_enqueue(outcome.confirmation)
            self.message_user(
                request, "A confirmation e-mail is on its way; nothing else is sent until it is confirmed."
            )

    def delete_model(self, request, obj):
        subscription_remove(subscription=obj, actor=Actor.for_user(request.user))

    def delete_queryset(self, request, queryset):
        for subscription in queryset:
            subscription_remove(subscription=subscription, actor=Actor.for_user(request.user))

    @admin.action(description="Pause the selected subscriptions")
    def pause(self, request, queryset):
        count = subscriptions_pause(subscriptions=queryset, actor=Actor.for_user(request.user))
        self.message_user(request, f"Paused {count} subscription{'s' if count != 1 else ''}.")

    @admin.action(description="Resume the selected subscriptions (failed e-mails are tried again)")
    def resume(self, request, queryset):
        count = subscriptions_resume(subscriptions=queryset, actor=Actor.for_user(request.user))
        self.message_user(request, f"Resumed {count} subscription{'s' if count != 1 else ''}.")
