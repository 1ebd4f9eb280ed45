from django.contrib import admin

from odata.models import FetchLease, UpstreamCache


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(UpstreamCache)
class UpstreamCacheAdmin(ReadOnlyAdmin):
    list_display = [
        "target_name",
        "instance",
        "is_group",
        "row_count",
        "fetched_at",
        "last_attempt_at",
        "last_error_kind",
        "last_503_at",
        "failing_since",
    ]
    list_filter = ["instance", "is_group", "last_error_kind"]
    search_fields = ["target_name", "key"]
    date_hierarchy = "fetched_at"
    # The rows themselves are long; the detail page shows them, the list does not load them.
    list_select_related = False

    def get_queryset(self, request):
        return super().get_queryset(request).defer("rows")


@admin.register(FetchLease)
class FetchLeaseAdmin(ReadOnlyAdmin):
    list_display = ["key", "owner", "expires_at"]
    search_fields = ["key"]
