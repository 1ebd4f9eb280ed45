from django.contrib import admin, messages
from django.contrib.admin.models import LogEntry
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User
from django.db import transaction
from django.urls import reverse
from django_q.admin import ScheduleAdmin, TaskAdmin
from django_q.models import Schedule, Success

from audit.services import Actor
from buzeta.api.keys import ApiKeyError, api_key_create, api_key_revoke
from buzeta.models import ApiKey
from buzeta.staff.customer_page import customer_sections
from customers.admin import CustomerAdmin
from customers.models import Customer


@admin.register(LogEntry)
class LogEntryAdmin(admin.ModelAdmin):
    """The admin's change history: who changed what, read-only (admins only, by permission)."""

    list_display = ["action_time", "user", "content_type", "object_repr", "action_flag", "change_message"]
    list_filter = ["action_flag", "content_type"]
    search_fields = ["object_repr", "change_message", "user__username"]
    list_select_related = ["user", "content_type"]
    date_hierarchy = "action_time"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    audited_by_services = ("save",)  # the services record these on the audit trail
    list_display = ["name", "scope", "prefix", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["scope", ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "prefix"]
    fields = ["name", "scope", "prefix", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["prefix", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "name", "scope"] if obj else self.readonly_fields

    def get_changeform_initial_data(self, request):
        return {"scope": ApiKey.Scope.READ}  # least privilege unless staff choose otherwise

    def save_model(self, request, obj, form, change):
        if change:
            return  # keys are made and revoked, never edited
        try:
            key, secret = api_key_create(name=obj.name, scope=obj.scope, actor=Actor.for_user(request.user))
        except ApiKeyError as exc:
            messages.error(request, str(exc))
            return
        obj.pk, obj.prefix, obj.created_at = key.pk, key.prefix, key.created_at
        messages.warning(request, f"The new key is {secret} — copy it now, it will not be shown again.")

    @admin.action(description="Revoke the selected keys (they stop working at once)")
    def revoke(self, request, queryset):
        count = 0
        for key in queryset.usable():
            api_key_revoke(key=key, actor=Actor.for_user(request.user))
            count += 1
        self.message_user(request, f"Revoked {count} key(s).")


@admin.register(Customer)
class StaffCustomerAdmin(CustomerAdmin):
    """The customer admin with what the floors above customers know of one: how its promises held."""

    change_form_template = "admin/buzeta/customer_change_form.html"

    def preview_url(self, obj: Customer) -> str:
        return reverse("customer-preview", args=[obj.obfuscated_id])

    def change_view(self, request, object_id, form_url="", extra_context=None):
        customer = self.get_object(request, object_id)
        if customer is not None:
            extra_context = {**(extra_context or {}), **customer_sections(customer)}
        return super().change_view(request, object_id, form_url, extra_context)


admin.site.unregister(User)


@admin.register(User)
class StaffUserAdmin(UserAdmin):
    def user_change_password(self, request, id, form_url=""):
        # Django's view saves the password and logs the change separately: one transaction here,
        # so the audit trail and the new password stand or fall together.
        with transaction.atomic():
            return super().user_change_password(request, id, form_url)


admin.site.unregister(Schedule)


@admin.register(Schedule)
class TimingOnlyScheduleAdmin(ScheduleAdmin):
    """Schedules are declared in code and upserted by `migrate`: staff change when they run and whether
    they run, never what they call (a dotted path the worker would import and run)."""

    # Six columns: the list fits 1280 px beside the admin's sidebar.
    list_display = ["name", "schedule_type", "minutes", "next_run", "get_last_run", "get_success"]
    list_display_links = ["name"]
    fields = ["name", "func", "args", "kwargs", "schedule_type", "minutes", "cron", "next_run", "repeats"]
    readonly_fields = ["name", "func", "args", "kwargs"]

    def has_add_permission(self, request) -> bool:
        return False

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "repeats" and field is not None:
            field.help_text = "-1: runs for ever; 0: switched off; N: N more runs."
        return field


admin.site.unregister(Success)


@admin.register(Success)
class RecentTaskAdmin(TaskAdmin):
    """django-q2's finished tasks, in columns that fit 1280 px (the function is on each task's page)."""

    list_display = ["name", "group", "started", "time_taken"]
