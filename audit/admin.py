from django.contrib import admin
from django.utils.html import format_html, format_html_join

from audit.models import AuditEvent


class RoutineRunsFilter(admin.SimpleListFilter):
    """The schedules' own runs (a refresh every few minutes) swamp what people did: hidden unless asked for."""

    title = "routine schedule runs"
    parameter_name = "routine"

    def lookups(self, request, model_admin):
        return [("shown", "Shown")]

    def choices(self, changelist):
        yield {
            "selected": self.value() is None,
            "query_string": changelist.get_query_string(remove=[self.parameter_name]),
            "display": "Hidden",
        }
        yield from list(super().choices(changelist))[1:]

    def queryset(self, request, queryset):
        if self.value() == "shown" or request.GET.get("actor_kind") == AuditEvent.SCHEDULE:
            return queryset
        return queryset.exclude(actor_kind=AuditEvent.SCHEDULE)


class ObjectTypeFilter(admin.SimpleListFilter):
    title = "object"
    parameter_name = "object_type"

    def lookups(self, request, model_admin):
        types = AuditEvent.objects.values_list("object_type", flat=True).distinct().order_by("object_type")
        return [(kind or "-", kind or "several (a run)") for kind in types]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(object_type="" if self.value() == "-" else self.value())
        return queryset


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the trail is written by the services, never edited. Role `admin` only (see roles)."""

    # Five columns: the list fits 1280 px beside the admin's sidebars.
    list_display = ["at", "who", "action", "what", "summary"]
    list_filter = [RoutineRunsFilter, "actor_kind", ObjectTypeFilter, "action", "at"]
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

    @admin.display(description="By", ordering="actor_name")
    def who(self, obj: AuditEvent) -> str:
        return format_html('{}<br><span class="quiet">{}</span>', obj.actor_name, obj.get_actor_kind_display())

    @admin.display(description="On", ordering="object_type")
    def what(self, obj: AuditEvent) -> str:
        if not obj.object_type:
            return "—"
        return format_html('{}<br><span class="quiet">{}</span>', obj.object_repr or obj.object_id, obj.object_type)

    @admin.display(description="Changes")
    def changes_table(self, obj: AuditEvent) -> str:
        if not obj.changes:
            return "—"
        rows = format_html_join(
            "", "<tr><th>{}</th><td>{}</td><td>{}</td></tr>", ((k, v[0], v[1]) for k, v in obj.changes.items())
        )
        return format_html("<table><tr><th>Field</th><th>Before</th><th>After</th></tr>{}</table>", rows)
