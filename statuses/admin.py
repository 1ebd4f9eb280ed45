from django.contrib import admin, messages
from django.shortcuts import redirect
from django.urls import path
from django.views.decorators.http import require_POST

from statuses.models import StatusMapping
from statuses.services import statuses_refresh


@admin.register(StatusMapping)
class StatusMappingAdmin(admin.ModelAdmin):
    list_display = ["odata_status", "custom_status", "active", "updated_at"]
    list_editable = ["custom_status", "active"]
    list_filter = ["active"]
    search_fields = ["odata_status", "custom_status"]
    change_list_template = "admin/statuses/statusmapping/change_list.html"

    def get_urls(self):
        refresh = self.admin_site.admin_view(require_POST(self.refresh_view))
        return [path("refresh/", refresh, name="statuses_statusmapping_refresh"), *super().get_urls()]

    def refresh_view(self, request):
        if not self.has_add_permission(request):
            messages.error(request, "You may not add status mappings.")
            return redirect("admin:statuses_statusmapping_changelist")
        result = statuses_refresh()
        if result.added:
            messages.success(request, f"Added {len(result.added)} new status(es), inactive: {', '.join(result.added)}")
        else:
            messages.info(request, f"No new statuses: all {result.seen} seen in BuzManager are listed.")
        for instance, kind in result.failed.items():
            messages.warning(request, f"{instance} could not be read ({kind}); try again later.")
        return redirect("admin:statuses_statusmapping_changelist")
