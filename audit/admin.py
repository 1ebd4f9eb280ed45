from django.contrib import admin
from django.utils.html import format_html, format_html_join

from audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the trail is written by the services, never edited. Role `admin` only (see roles)."""

    list_display = ["at", "actor_name", "actor_kind", "action", "object_type", "object_repr", "summary"]
    list_filter = ["actor_kind", "object_type", "action", "at"]
    search_fields = ["actor_name", "object_repr", "object_id", "summary"]
    date_hierarchy = "at"
    fields = ["at", "actor_kind", "actor_name", "actor_user", "action", "object_type", "object_id", "object_repr"]
    readonly_fields = [*fields, "changes_table", "summary"]
    fields = [*fields, "changes_table", "summary"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="Changes")
    def changes_table(self, obj: AuditEvent) -> str:
        if not obj.changes:
            return "—"
        rows = format_html_join(
            "", "<tr><th>{}</th><td>{}</td><td>{}</td></tr>", ((k, v[0], v[1]) for k, v in obj.changes.items())
        )
        return format_html("<table><tr><th>Field</th><th>Before</th><th>After</th></tr>{}</table>", rows)
