"""ETA history in the admin: each order's dates (read-only), where dates slip and how often promises held
(role user and up)."""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.db.models.functions import Lower
from django.template.response import TemplateResponse
from django.urls import path, reverse

from customers.models import ACCOUNT_NAME_FIELDS, Customer
from history.models import EtaChange, OrderEta
from history.reliability import Reliability, promise_reliability
from history.selectors import Slippage, slippage
from odata.targets import INSTANCES


class EtaChangeInline(admin.TabularInline):
    model = EtaChange
    fields = ["detected_at", "from_eta", "to_eta", "days", "production_line"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ["-detected_at"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class OpenFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("open", "Open"), ("closed", "Closed"), ("moved", "Moved since first promised")]

    def queryset(self, request, queryset):
        if self.value() == "open":
            return queryset.open()
        if self.value() == "closed":
            return queryset.filter(closed_at__isnull=False)
        if self.value() == "moved":
            return queryset.filter(eta_changed_at__isnull=False)
        return queryset


@admin.register(OrderEta)
class OrderEtaAdmin(admin.ModelAdmin):
    """Each order's promised dates and their history; written only by live fetches."""

    list_display = ["ref_no", "instance", "customer_name", "production_line", "first_eta", "current_eta",
                    "days_moved", "eta_changed_at", "closed_at"]  # fmt: skip
    list_filter = [OpenFilter, "instance", "production_line"]
    search_fields = ["ref_no", "customer_name"]
    readonly_fields = ["instance", "ref_no", "customer_name", "production_line", "first_eta", "current_eta",
                       "previous_eta", "first_seen_at", "eta_changed_at", "closed_at", "seen_by"]  # fmt: skip
    exclude = ["customer_key"]
    inlines = [EtaChangeInline]
    show_full_result_count = False  # no COUNT(*) over every order ever seen

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="days moved")
    def days_moved(self, obj: OrderEta) -> int:
        return obj.days_moved

    def get_urls(self):
        slippage_view = self.admin_site.admin_view(self.slippage_view)
        reliability_view = self.admin_site.admin_view(self.reliability_view)
        return [
            path("slippage/", slippage_view, name="history_ordereta_slippage"),
            path("reliability/", reliability_view, name="history_ordereta_reliability"),
            *super().get_urls(),
        ]

    def _chosen(self, request) -> tuple[str, str]:
        """The account and production line a staff page is narrowed to (anything else: all)."""
        instance = request.GET.get("instance", "") if request.GET.get("instance") in INSTANCES else ""
        return instance, request.GET.get("line", "")[:120]

    def _all_lines(self):
        lines = OrderEta.objects.exclude(production_line="").order_by("production_line")
        return lines.values_list("production_line", flat=True).distinct()

    def reliability_view(self, request):
        """How often first promises held: per account and production line, and by month."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        instance, line = self._chosen(request)
        data = promise_reliability(instance=instance, production_line=line)
        context = {
            **self.admin_site.each_context(request),
            "title": "Promise reliability",
            "opts": self.model._meta,
            "data": data,
            "chart": reliability_chart(data),
            "instances": INSTANCES,
            "instance": instance,
            "line": line,
            "all_lines": self._all_lines(),
        }
        return TemplateResponse(request, "admin/history/reliability.html", context)

    def slippage_view(self, request):
        """Where dates slip: changes per week by production line, and the orders that moved most."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        instance, line = self._chosen(request)
        data = slippage(instance=instance, production_line=line)
        _attach_customer_links(data)
        context = {
            **self.admin_site.each_context(request),
            "title": "Where ETAs slip",
            "opts": self.model._meta,
            "data": data,
            "chart": slippage_chart(data),
            "instances": INSTANCES,
            "instance": instance,
            "line": line,
            "all_lines": self._all_lines(),
        }
        return TemplateResponse(request, "admin/history/slippage.html", context)


# Colour-blind-safe palette (Okabe-Ito); each bar also has a <title> and the table below repeats the numbers.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
CHART = {"width": 720, "height": 240, "left": 36, "bottom": 28, "top": 10}


def slippage_chart(data: Slippage) -> dict:
    """Stacked bars, one per week, as plain shapes for the template's inline SVG."""
    tallest = max((week.total for week in data.weeks), default=0) or 1
    plot_height = CHART["height"] - CHART["bottom"] - CHART["top"]
    slot = (CHART["width"] - CHART["left"]) / max(len(data.weeks), 1)
    colours = {line: PALETTE[i % len(PALETTE)] for i, line in enumerate(data.lines)}
    bars = []
    for index, week in enumerate(data.weeks):
        x = CHART["left"] + index * slot + slot * 0.15
        y = CHART["height"] - CHART["bottom"]
        for line in data.lines:
            count = week.counts.get(line, 0)
            if not count:
                continue
            height = count / tallest * plot_height
            y -= height
            bars.append({"x": round(x, 1), "y": round(y, 1), "width": round(slot * 0.7, 1),
                         "height": round(height, 1), "colour": colours[line],
                         "title": f"Week of {week.start:%-d %b}: {count} changes, {line}"})  # fmt: skip
    labels = [
        {"x": round(CHART["left"] + i * slot + slot / 2, 1), "text": f"{week.start:%-d %b}"}
        for i, week in enumerate(data.weeks)
    ]
    return {**CHART, "bars": bars, "labels": labels, "tallest": tallest, "axis_y": CHART["height"] - CHART["bottom"],
            "legend": list(colours.items())}  # fmt: skip


def reliability_chart(data: Reliability) -> dict:
    """One bar per month: the share of orders done by their first promise (0 to 100 %), as plain shapes."""
    plot_height = CHART["height"] - CHART["bottom"] - CHART["top"]
    axis_y = CHART["height"] - CHART["bottom"]
    slot = (CHART["width"] - CHART["left"]) / max(len(data.months), 1)
    bars, labels = [], []
    for index, month in enumerate(data.months):
        x = CHART["left"] + index * slot
        name = f"{month.month:%b %Y}"
        labels.append({"x": round(x + slot / 2, 1), "text": name})
        if not month.finished:
            continue
        height = month.on_time_share * plot_height
        bars.append({
            "x": round(x + slot * 0.2, 1), "y": round(axis_y - height, 1), "width": round(slot * 0.6, 1),
            "height": round(height, 1), "text_x": round(x + slot / 2, 1), "text_y": round(axis_y - height - 4, 1),
            "share": f"{month.on_time_share:.0%}",
            "title": f"{name}: {month.on_time} of {month.finished} on time ({month.on_time_share:.0%}); "
                     f"median slip {month.median} days, 8 in 10 within {month.p80} days",
        })  # fmt: skip
    return {**CHART, "bars": bars, "labels": labels, "axis_y": axis_y, "mid_y": round(axis_y - plot_height / 2, 1)}


def _attach_customer_links(data: Slippage) -> None:
    """Give each most-moved order `customer_url`: the admin page of the customer it belongs to, if known."""
    # Ignoring case, as history matches names (its customer_key is folded).
    names = {order.customer_name.casefold() for order in data.most_moved if order.customer_name}
    lowered = {f"{field}_lower": Lower(field) for field in ACCOUNT_NAME_FIELDS.values()}
    matching = Q(pk__in=[])
    for key in lowered:
        matching |= Q(**{f"{key}__in": names})
    by_name = {}
    for customer in Customer.objects.annotate(**lowered).filter(matching) if names else []:
        for instance, name in customer.account_names.items():
            by_name[(instance, name.casefold())] = customer.pk
    for order in data.most_moved:
        pk = by_name.get((order.instance, order.customer_name.casefold()))
        order.customer_url = reverse("admin:customers_customer_change", args=[pk]) if pk else ""
