from django.contrib import admin, messages
from django.shortcuts import redirect
from django.urls import path
from django.views.decorators.http import require_POST

from audit.services import Actor
from statuses.models import StatusMapping
from statuses.services import (
    status_mapping_delete,
    status_mapping_save,
    statuses_refresh_enqueue,
    statuses_refresh_state,
)


@admin.register(StatusMapping)
class StatusMappingAdmin(admin.ModelAdmin):
    audited_by_services = ("save", "delete")  # the services record these on the audit trail
    list_display = ["odata_status", "custom_status", "active", "ready"]
    list_editable = ["custom_status", "active", "ready"]
    list_filter = ["active", "ready"]
    search_fields = ["odata_status", "custom_status"]
    change_list_template = "admin/statuses/statusmapping/change_list.html"

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        # The list's inline inputs have no <label>: each says what it is to a screen reader.
        if field is not None and db_field.name in self.list_editable:
            field.widget.attrs.setdefault("aria-label", str(db_field.verbose_name))
            if db_field.name == "custom_status":
                field.widget.attrs.setdefault("size", 28)
        return field

    # Every edit (the form and the list's inline edits) goes through the services, which record who did it.
    def save_model(self, request, obj, form, change):
        status_mapping_save(mapping=obj, actor=Actor.for_user(request.user))

    def delete_model(self, request, obj):
        status_mapping_delete(mapping=obj, actor=Actor.for_user(request.user))

    def delete_queryset(self, request, queryset):
        for mapping in queryset:
            status_mapping_delete(mapping=mapping, actor=Actor.for_user(request.user))

    def get_urls(self):
        refresh = self.admin_site.admin_view(require_POST(self.refresh_view))
        return [path("refresh/", refresh, name="statuses_statusmapping_refresh"), *super().get_urls()]

    def refresh_view(self, request):
        if not self.has_add_permission(request):
            messages.error(request, "You may not add status mappings.")
            return redirect("admin:statuses_statusmapping_changelist")
        if statuses_refresh_enqueue(user_id=request.user.pk):
            messages.info(request, "Refreshing from BuzManager in the background; this page shows when it is done.")
        else:
            messages.info(request, "A refresh is already under way; this page shows when it is done.")
        return redirect("admin:statuses_statusmapping_changelist")

    def changelist_view(self, request, extra_context=None):
        refresh = statuses_refresh_state()
        return super().changelist_view(request, {**(extra_context or {}), "refresh": refresh})
