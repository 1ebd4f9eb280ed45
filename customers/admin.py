from django.contrib import admin
from django.utils.html import format_html

from customers.models import Customer


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["display_name", "dd_name", "cbr_name", "field_type", "report_link", "updated_at"]
    list_filter = ["field_type", ("dd_name", admin.EmptyFieldListFilter), ("cbr_name", admin.EmptyFieldListFilter)]
    search_fields = ["display_name", "dd_name", "cbr_name", "obfuscated_id"]
    readonly_fields = ["obfuscated_id", "report_link", "created_at", "updated_at"]
    fields = [
        "display_name",
        "field_type",
        "dd_name",
        "cbr_name",
        "obfuscated_id",
        "report_link",
        "created_at",
        "updated_at",
    ]

    @admin.display(description="Report link")
    def report_link(self, obj: Customer) -> str:
        if not obj.pk:
            return "—"
        return format_html(
            '<a href="{}" target="_blank" rel="noopener">{}</a>', obj.get_absolute_url(), obj.get_absolute_url()
        )
