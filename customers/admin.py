from django.contrib import admin, messages
from django.utils.html import format_html

from customers.models import Customer
from customers.prewarm import cache_prewarm
from customers.services import customer_regenerate_link


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
    readonly_fields = ["report_link", "last_viewed_at", "view_count", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["display_name", "field_type", "dd_name", "cbr_name"]}),
        ("Link", {"fields": ["report_link"]}),
        ("Activity", {"fields": ["last_viewed_at", "view_count", "created_at", "updated_at"]}),
    ]
    actions = ["regenerate_links", "prewarm"]

    class Media:
        js = ["js/admin-copy.js"]

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

    @admin.action(description="Regenerate the link of the selected customers (old links stop working)")
    def regenerate_links(self, request, queryset):
        count = 0
        for customer in queryset:
            customer_regenerate_link(customer=customer)
            count += 1
        self.message_user(request, f"New links for {count} customer(s); their old links no longer work.")

    @admin.action(description="Prewarm the cache for the selected customers")
    def prewarm(self, request, queryset):
        summary = cache_prewarm(customers=queryset)
        level = messages.WARNING if summary.failed else messages.SUCCESS
        self.message_user(request, summary.describe(), level)
        for line in summary.failed:
            self.message_user(request, f"{line.customer}: {line.describe()}", messages.WARNING)
