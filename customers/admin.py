from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.safestring import mark_safe
from django.utils.timesince import timesince

from audit.services import Actor
from customers.models import ACCOUNT_NAME_FIELDS, Customer
from customers.prewarm import cache_prewarm
from customers.selectors import customer_name_warnings, customers_fetch_state
from customers.services import (
    customer_delete,
    customer_regenerate_link,
    customer_save,
    customer_use_known_name,
)
from odata.selectors import known_names
from orders.wording import ago_words


class KnownNameInput(forms.TextInput):
    """A text box that suggests the names BuzManager has sent us for one account (a <datalist>)."""

    def __init__(self, instance: str, attrs=None):
        super().__init__({**(attrs or {}), "list": f"known-names-{instance}", "autocomplete": "off"})
        self.instance = instance

    def render(self, name, value, attrs=None, renderer=None):
        known = known_names(self.instance)
        options = format_html_join("", '<option value="{}">', ((n,) for n in [*known.groups, *known.customers]))
        datalist = format_html('<datalist id="known-names-{}">{}</datalist>', self.instance, options)
        return format_html("{}{}", super().render(name, value, attrs, renderer), datalist)


class CustomerAdmin(admin.ModelAdmin):
    """Customers in the admin. Registered on the top floor (buzeta/admin.py), which adds what lives above
    customers: the preview of their page."""

    audited_by_services = ("save", "delete")  # the services record these on the audit trail
    # Six short columns: the list fits 1280 px beside the admin's two sidebars.
    list_display = ["display_name", "accounts", "open_orders", "data", "activity", "link_tools"]
    list_filter = [
        "field_type",
        ("dd_name", admin.EmptyFieldListFilter),
        ("cbr_name", admin.EmptyFieldListFilter),
        ("last_viewed_at", admin.EmptyFieldListFilter),
    ]
    search_fields = ["display_name", "dd_name", "cbr_name", "obfuscated_id"]
    readonly_fields = ["report_link", "audit_trail", "last_viewed_at", "view_count", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["display_name", "field_type", "dd_name", "cbr_name"]}),
        ("Link", {"fields": ["report_link"]}),
        ("Activity", {"fields": ["last_viewed_at", "view_count", "created_at", "updated_at", "audit_trail"]}),
    ]
    actions = ["regenerate_links", "prewarm"]

    class Media:
        js = ["js/admin-copy.js"]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        instance = next((i for i, field in ACCOUNT_NAME_FIELDS.items() if field == db_field.name), None)
        if instance:
            kwargs["widget"] = KnownNameInput(instance)
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    # --- the list: one cache query for the whole page -------------------------------------------

    def get_changelist_instance(self, request):
        changelist = super().get_changelist_instance(request)
        states = customers_fetch_state(changelist.result_list)
        for customer in changelist.result_list:
            customer.fetch_state = states[customer.pk]
        return changelist

    @admin.display(description="BuzManager names")
    def accounts(self, obj: Customer) -> str:
        parts = [(instance, name) for instance, name in obj.account_names.items() if name]
        group = " (group)" if obj.is_group else ""
        return format_html_join(mark_safe("<br>"), "{}: {}" + group, parts)

    @admin.display(description="Orders")
    def open_orders(self, obj: Customer):
        count = obj.fetch_state.open_orders
        return "—" if count is None else count

    @admin.display(description="Data")
    def data(self, obj: Customer) -> str:
        """How old its data is, whether the last fetch worked and found orders, and the one-click fix
        for a name that matched nothing (a button of the list's own form, which carries the CSRF token)."""
        state = obj.fetch_state
        if not state.fetched_at:
            age = "none yet"
        elif timezone.now() - state.fetched_at < timedelta(minutes=1):
            age = "just fetched"
        else:
            age = f"{timesince(state.fetched_at, timezone.now(), depth=1)} old"
        if not state.problem:
            return format_html('<span class="fetch-ok">OK</span><br>{}', age)
        fixes = format_html_join(
            "",
            '<br><button type="submit" class="button" formaction="{}" formmethod="post" name="use" value="{}">'
            "Use “{}”</button>",
            ((self.use_name_url(obj, u.instance), u.nearest, u.nearest) for u in state.unmatched if u.nearest),
        )
        return format_html('<span class="fetch-problem">{}</span><br>{}{}', state.problem, age, fixes)

    def use_name_url(self, obj: Customer, instance: str) -> str:
        return reverse("admin:customers_customer_use_name", args=[obj.pk, instance])

    @admin.display(description="Views", ordering="-last_viewed_at")
    def activity(self, obj: Customer) -> str:
        if not obj.last_viewed_at:
            return "never"
        return format_html("{}<br>last {}", obj.view_count, ago_words(obj.last_viewed_at))

    # --- the one-click name fix ------------------------------------------------------------------------

    def get_urls(self):
        use_name = self.admin_site.admin_view(self.use_name_view)
        return [
            path("<int:pk>/use-name/<str:instance>/", use_name, name="customers_customer_use_name"),
            *super().get_urls(),
        ]

    def use_name_view(self, request, pk: int, instance: str):
        """POST: put the named known name in place of the account's name that matched nothing, then fetch."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        customer = self.get_object(request, str(pk))
        if customer is None or not self.has_change_permission(request, customer):
            raise PermissionDenied
        name = request.POST.get("use", "")
        try:
            customer_use_known_name(customer=customer, instance=instance, name=name, actor=Actor.for_user(request.user))
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
        else:
            summary = cache_prewarm(actor=Actor.for_user(request.user), customers=[customer])
            self.message_user(
                request, f"{customer.display_name} now uses “{name}” for {instance}. {summary.describe()}"
            )
        back = request.POST.get("next") or request.META.get("HTTP_REFERER", "")
        if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
            back = reverse("admin:customers_customer_changelist")
        return redirect(back)

    def preview_url(self, obj: Customer) -> str:
        """Where staff see the customer's page as the customer does; blank here, where there is none.
        The preview is the reports' page: the admin the site registers (buzeta/admin.py) names it."""
        return ""

    def _preview_button(self, obj: Customer, label: str) -> str:
        url = self.preview_url(obj)
        return (
            format_html('<a class="button" href="{}" target="_blank" rel="noopener">{}</a>', url, label) if url else ""
        )

    @admin.display(description="Link")
    def link_tools(self, obj: Customer) -> str:
        return format_html(
            '<button type="button" class="button" data-copy="{}">Copy link</button><br>{}',
            obj.get_absolute_url(),
            self._preview_button(obj, "Preview"),
        )

    # --- the form ------------------------------------------------------------------------------------

    @admin.display(description="Who changed it")
    def audit_trail(self, obj: Customer) -> str:
        if not obj.pk:
            return "—"
        query = urlencode({"object_type": "customer", "object_id": obj.pk})
        return format_html('<a href="{}?{}">Audit trail</a>', reverse("admin:audit_auditevent_changelist"), query)

    @admin.display(description="Report link")
    def report_link(self, obj: Customer) -> str:
        if not obj.pk:
            return "Created when you save."
        return format_html(
            '<code>{}</code> <button type="button" class="button" data-copy="{}">Copy</button> {}',
            obj.get_absolute_url(),
            obj.get_absolute_url(),
            self._preview_button(obj, "Preview as customer"),
        )

    def get_fieldsets(self, request, obj=None):
        # The trail is for role admin; others are not shown a link they may not follow.
        if request.user.has_perm("audit.view_auditevent"):
            return self.fieldsets
        return [
            (name, {**opts, "fields": [f for f in opts["fields"] if f != "audit_trail"]})
            for name, opts in self.fieldsets
        ]

    # Every edit goes through the customer services, which validate and record who did it.
    def save_model(self, request, obj, form, change):
        customer_save(customer=obj, actor=Actor.for_user(request.user))
        for warning in customer_name_warnings(obj):
            messages.warning(
                request, f"{warning} To ask BuzManager now, select the customer and run “Prewarm the cache”."
            )

    def delete_model(self, request, obj):
        customer_delete(customer=obj, actor=Actor.for_user(request.user))

    def delete_queryset(self, request, queryset):
        for customer in queryset:
            customer_delete(customer=customer, actor=Actor.for_user(request.user))

    # --- actions -------------------------------------------------------------------------------------

    @admin.action(description="Regenerate the link of the selected customers (old links stop working)")
    def regenerate_links(self, request, queryset):
        if request.POST.get("confirm") != "yes":
            # Like "delete selected": nothing happens until a second, explicit POST.
            context = {
                **self.admin_site.each_context(request),
                "title": "Regenerate links?",
                "opts": self.model._meta,
                "customers": queryset,
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            }
            return TemplateResponse(request, "admin/customers/customer/regenerate_confirm.html", context)
        count = 0
        for customer in queryset:
            customer_regenerate_link(customer=customer, actor=Actor.for_user(request.user))
            count += 1
        self.message_user(request, f"New links for {count} customer(s); their old links no longer work.")
        return None

    @admin.action(description="Prewarm the cache for the selected customers")
    def prewarm(self, request, queryset):
        summary = cache_prewarm(actor=Actor.for_user(request.user), customers=queryset)
        level = messages.WARNING if summary.failed else messages.SUCCESS
        self.message_user(request, summary.describe(), level)
        for line in summary.failed:
            self.message_user(request, f"{line.customer}: {line.describe()}", messages.WARNING)
