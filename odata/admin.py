from django.contrib import admin
from django.utils.html import format_html

from odata.models import FetchLease, UpstreamCache
from odata.targets import key_words
from orders.wording import ago_words


class ErrorKindFilter(admin.SimpleListFilter):
    title = "last error"
    parameter_name = "error"

    def lookups(self, request, model_admin):
        kinds = UpstreamCache.objects.exclude(last_error_kind="").values_list("last_error_kind", flat=True)
        return [("none", "none"), *((kind, kind) for kind in sorted(set(kinds)))]

    def queryset(self, request, queryset):
        if self.value() == "none":
            return queryset.filter(last_error_kind="")
        if self.value():
            return queryset.filter(last_error_kind=self.value())
        return queryset


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(UpstreamCache)
class UpstreamCacheAdmin(ReadOnlyAdmin):
    # Four columns: the list fits 1280 px beside the admin's sidebar.
    list_display = ["what", "row_count", "fetched_at", "state"]
    list_filter = ["instance", "is_group", ErrorKindFilter]
    search_fields = ["target_name", "key"]
    date_hierarchy = "fetched_at"
    # The rows themselves are long; the detail page shows them, the list does not load them.
    list_select_related = False

    def get_queryset(self, request):
        return super().get_queryset(request).defer("rows")

    @admin.display(description="For", ordering="target_name")
    def what(self, obj: UpstreamCache) -> str:
        return key_words(obj.key)

    @admin.display(description="Last attempt")
    def state(self, obj: UpstreamCache) -> str:
        if not obj.last_attempt_at:
            return "—"
        when = ago_words(obj.last_attempt_at)
        if obj.failing_since:
            problem = obj.last_error_kind or "failed"
            since = ago_words(obj.failing_since)
            return format_html('<span class="fetch-problem">{}</span>, failing since {}<br>{}', problem, since, when)
        return format_html('<span class="fetch-ok">OK</span><br>{}', when)


@admin.register(FetchLease)
class FetchLeaseAdmin(ReadOnlyAdmin):
    list_display = ["key", "owner", "expires_at"]
    search_fields = ["key"]
