from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode

from audit.services import Actor
from customers.models import Customer
from customers.prewarm import cache_prewarm
from customers.services import customer_delete, customer_regenerate_link, customer_save


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["display_name", "dd_name", "cbr_name", "field_type", "report_link", "last_viewed_at", "view_count"]
    list_filter = [
        "field_type",
        ("dd_name", admin.EmptyFieldListFilter),
        ("cbr_name", admin.EmptyFieldListFilter),
        ("last_viewed_at", admin.EmptyFieldListFilter),
    ]
    search_fields = ["display_name", "dd_name", "cbr_name", "obfuscated_id"]
    readonly_fields = ["report_link", "audit_trail", "last_viewed_at", "view_count", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["display_name", "field_type", "dd_name", "cbr_name"]}),
        ("Link", {"fields": ["report_link"]}),
        ("Activity", {"fields": ["last_viewed_at", "view_count", "created_at", "updated_at", "audit_trail"]}),
    ]
    actions = ["regenerate_links", "prewarm"]

    class Media:
        js = ["js/admin-copy.js"]

    @admin.display(description="Who changed it")
    def audit_trail(self, obj: Customer) -> str:
        if not obj.pk:
            return "—"
        query = urlencode({"object_type": "customer", "object_id": obj.pk})
        return format_html('<a href="{}?{}">Audit trail</a>', reverse("admin:audit_auditevent_changelist"), query)

    @admin.display(description="Report link")
    def report_link(self, obj: Customer) -> str:
        if not obj.pk:
            return "Created when you save."
        return format_html(
            '<code>{}</code> <button type="button" class="button" data-copy="{}">Copy</button> '
            '<a class="button" href="{}" target="_blank" rel="noopener">Open</a>',
            obj.get_absolute_url(),
            obj.get_absolute_url(),
            obj.get_absolute_url(),
        )

    def get_fieldsets(self, request, obj=None):
        # The trail is for role admin; others are not shown a link they may not follow.
        if request.user.has_perm("audit.view_auditevent"):
            return self.fieldsets
        return [
            (name, {**opts, "fields": [f for f in opts["fields"] if f != "audit_trail"]})
            for name, opts in self.fieldsets
        ]

    # Every edit goes through the customer services, which validate and record who did it.
    def save_model(self, request, obj, form, change):
        customer_save(customer=obj, actor=Actor.for_user(request.user))

    def delete_model(self, request, obj):
        customer_delete(customer=obj, actor=Actor.for_user(request.user))

    def delete_queryset(self, request, queryset):
        for customer in queryset:
            customer_delete(customer=customer, actor=Actor.for_user(request.user))

    @admin.action(description="Regenerate the link of the selected customers (old links stop working)")
    def regenerate_links(self, request, queryset):
        count = 0
        for customer in queryset:
            customer_regenerate_link(customer=customer, actor=Actor.for_user(request.user))
            count += 1
        self.message_user(request, f"New links for {count} customer(s); their old links no longer work.")

    @admin.action(description="Prewarm the cache for the selected customers")
    def prewarm(self, request, queryset):
        summary = cache_prewarm(actor=Actor.for_user(request.user), customers=queryset)
        level = messages.WARNING if summary.failed else messages.SUCCESS
        self.message_user(request, summary.describe(), level)
        for line in summary.failed:
            self.message_user(request, f"{line.customer}: {line.describe()}", messages.WARNING)
