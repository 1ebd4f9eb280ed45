"""ETA history in the admin: each order's dates (read-only), where dates slip and how often promises held
(role user and up)."""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from customers.selectors import CustomerIndex
from history.models import OrderEta
from history.reliability import Reliability, promise_reliability
from history.selectors import Slippage, slippage
from odata.targets import INSTANCES, key_words


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

    # Five columns, key first: the list fits 1280 px beside the admin's sidebars.
    list_display = ["order", "customer_name", "production_line", "dates", "state"]
    list_filter = [OpenFilter, "instance", "production_line"]
    search_fields = ["ref_no", "customer_name"]
    fields = ["instance", "ref_no", "customer_name", "production_line", "first_eta", "current_eta", "previous_eta",
              "done_on", "first_seen_at", "eta_changed_at", "closed_at", "fetched_by", "moves"]  # fmt: skip
    readonly_fields = fields
    show_full_result_count = False  # no COUNT(*) over every order ever seen

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="Order", ordering="ref_no")
    def order(self, obj: OrderEta) -> str:
        return f"{obj.instance} {obj.ref_no}"

    @admin.display(description="First promised → now", ordering="current_eta")
    def dates(self, obj: OrderEta) -> str:
        first, now = obj.first_eta, obj.current_eta
        if not now:
            return "no date yet"
        if not first or first == now:
            return f"{now:%a %-d %b %Y}"
        return f"{first:%-d %b} → {now:%a %-d %b %Y} ({obj.days_moved:+d} days)"

    @admin.display(description="State", ordering="closed_at")
    def state(self, obj: OrderEta) -> str:
        if obj.closed_at:
            return f"closed {obj.closed_at:%-d %b %Y}"
        return f"open, done {obj.done_on:%-d %b}" if obj.done_on else "open"

    @admin.display(description="Last returned by")
    def fetched_by(self, obj: OrderEta) -> str:
        return key_words(obj.seen_by)

    @admin.display(description="Moves")
    def moves(self, obj: OrderEta) -> str:
        changes = obj.changes.order_by("detected_at")
        if not changes:
            return "None: still the first date promised."
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{:+d}</td></tr>",
            ((timezone.localtime(c.detected_at).strftime("%-d %b %Y, %-I:%M %p"), c.from_eta, c.to_eta, c.days)
             for c in changes),
        )  # fmt: skip
        return format_html(
            '<table><thead><tr><th scope="col">Seen</th><th scope="col">From</th><th scope="col">To</th>'
            '<th scope="col">Days</th></tr></thead><tbody>{}</tbody></table>',
            rows,
        )

    def get_urls(self):
        slippage_view = self.admin_site.admin_view(self.slippage_view)
        reliability_view = self.admin_site.admin_view(self.reliability_view)
        return [
            path("slippage/", slippage_view, name="history_ordereta_slippage"),
            path("reliability/", reliability_view, name="history_ordereta_reliability"),
            *super().get_urls(),
        ]

    def _history_page(self, request, *, title: str, template: str, build):
        """A staff page of history narrowed to an account and a production line (anything else: all):
        `build(instance, line)` gives the page's data and chart."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        instance = request.GET.get("instance", "") if request.GET.get("instance") in INSTANCES else ""
        line = request.GET.get("line", "")[:120]
        data, chart = build(instance, line)
        lines = OrderEta.objects.exclude(production_line="").order_by("production_line")
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": self.model._meta,
            "data": data,
            "chart": chart,
            "instances": INSTANCES,
            "instance": instance,
            "line": line,
            "all_lines": lines.values_list("production_line", flat=True).distinct(),
        }
        return TemplateResponse(request, template, context)

    def reliability_view(self, request):
        """How often first promises held: per account and production line, and by month."""

        def build(instance, line):
            data = promise_reliability(instance=instance, production_line=line)
            return data, reliability_chart(data)

        return self._history_page(
            request, title="Promise reliability", template="admin/history/reliability.html", build=build
        )

    def slippage_view(self, request):
        """Where dates slip: changes per week by production line, and the orders that moved most."""

        def build(instance, line):
            data = slippage(instance=instance, production_line=line)
            _attach_customer_links(data)
            return data, slippage_chart(data)

        return self._history_page(request, title="Where ETAs slip", template="admin/history/slippage.html", build=build)


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
    """Give each most-moved order `customer_url`: the admin page of the customer it belongs to, if known
    (a group member's order, its group's)."""
    index = CustomerIndex()
    for order in data.most_moved:
        customer = index.of(order.instance, order.customer_name, order.seen_by)
        order.customer_url = reverse("admin:customers_customer_change", args=[customer.pk]) if customer else ""
