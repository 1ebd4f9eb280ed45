from __future__ import annotations

from django.contrib import admin

from reports.models import ReportJob


@admin.register(ReportJob)
class ReportJobAdmin(admin.ModelAdmin):
    list_display = ["customer", "status", "percent", "source", "error_status", "created_at", "finished_at", "attempts"]
    list_filter = ["status", "source", "error_status"]
    search_fields = ["customer__display_name", "id"]
    list_select_related = ["customer"]
    date_hierarchy = "created_at"
    exclude = ["result"]  # every upstream row of the report: too big to show

    def get_queryset(self, request):
        return super().get_queryset(request).defer("result")

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
