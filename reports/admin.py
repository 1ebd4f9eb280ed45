from __future__ import annotations

from django.contrib import admin

from reports.models import ReportJob


@admin.register(ReportJob)
class ReportJobAdmin(admin.ModelAdmin):
    # Five columns: the list fits 1280 px beside the admin's sidebar.
    list_display = ["customer", "outcome", "created_at", "took"]
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

    @admin.display(description="Outcome", ordering="status")
    def outcome(self, obj: ReportJob) -> str:
        """`done, live`, `failed (503)`, `running, 40 %`; with the attempts when more than one."""
        if obj.status == ReportJob.DONE:
            text = f"done, {obj.source}" if obj.source else "done"
        elif obj.status == ReportJob.FAILED:
            text = f"failed ({obj.error_status})" if obj.error_status else "failed"
        else:
            text = f"{obj.status}, {obj.percent} %"
        return f"{text}, {obj.attempts} attempts" if obj.attempts > 1 else text

    @admin.display(description="Took")
    def took(self, obj: ReportJob) -> str:
        if not obj.finished_at:
            return "—"
        return f"{(obj.finished_at - obj.created_at).total_seconds():.1f} s"
