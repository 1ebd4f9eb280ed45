from django.contrib import admin

from statuses.models import StatusMapping


@admin.register(StatusMapping)
class StatusMappingAdmin(admin.ModelAdmin):
    list_display = ["odata_status", "custom_status", "active", "updated_at"]
    list_editable = ["custom_status", "active"]
    list_filter = ["active"]
    search_fields = ["odata_status", "custom_status"]
