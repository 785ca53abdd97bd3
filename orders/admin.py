"""Managers' admin for the order book.

Orders, payments and carts are looked at here, never edited: totals, statuses and
histories change only through ``orders.services`` so every change is priced, stocked,
refunded and recorded. The actions below call those services.
"""

from __future__ import annotations

import csv
from datetime import timedelta
from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import (
    Count,
    DecimalField,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.http import StreamingHttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from customers.services import normalize_phone
from omnistore.core.charts import bar_chart
from omnistore.core.exceptions import ApplicationError
from orders.selectors.reports import sales_report

from . import services
from .models import (
    Cart,
    CartLine,
    Fulfilment,
    Order,
    OrderLine,
    OrderStatusChange,
    Payment,
    Refund,
)

EXPORT_CHUNK = 2000
SHOWN = 50  # orders listed on the cancel confirmation page


class ReadOnlyAdmin(admin.ModelAdmin):
    """Listed and opened, never added, edited or deleted by hand."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class OrderLineInline(ReadOnlyInline):
    model = OrderLine
    fields = ["sku", "name", "quantity", "unit_price", "discount", "line_total"]
    readonly_fields = fields


class PaymentInline(ReadOnlyInline):
    model = Payment
    fields = [
        "method",
        "amount",
        "refunded_amount",
        "currency",
        "status",
        "provider",
        "provider_reference",
        "created_at",
    ]
    readonly_fields = fields
    show_change_link = True


class FulfilmentInline(ReadOnlyInline):
    model = Fulfilment
    fields = [
        "method",
        "status",
        "location",
        "pickup_location",
        "delivery_address",
        "ready_date",
        "transfer",
        "tracking_reference",
    ]
    readonly_fields = fields

    @admin.display(description="Address")
    def delivery_address(self, obj):
        address = obj.address or {}
        parts = [
            address.get("name"),
            address.get("line1"),
            address.get("line2"),
            " ".join(x for x in (address.get("postcode"), address.get("city")) if x),
            address.get("country"),
            address.get("phone"),
        ]
        return ", ".join(p for p in parts if p) or "—"

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("location", "pickup_location", "transfer")
        )


class StatusHistoryInline(ReadOnlyInline):
    model = OrderStatusChange
    verbose_name = "status change"
    verbose_name_plural = "status history"
    fields = ["at", "from_status", "to_status", "actor", "location", "note"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor", "location")


class PhoneAwareSearch:
    """A phone typed in any format (333 123 4567, +39…, 0039…) finds the order."""

    def get_search_results(self, request, queryset, search_term):
        results, duplicates = super().get_search_results(request, queryset, search_term)
        if any(ch.isdigit() for ch in search_term):
            phone = normalize_phone(search_term)
            if phone:
                results |= queryset.filter(Q(phone=phone) | Q(customer__phone=phone))
        return results, duplicates


class CancelOrdersForm(forms.Form):
    reason = forms.CharField(
        max_length=200,
        label="Reason (kept in each order's history and told to the customer)",
        widget=forms.TextInput(attrs={"size": 60}),
    )


def _export_rows(queryset):
    """One row per order; money and units come from subqueries, so a million orders
    stream in chunks of one query each, never one query per order."""
    paid = (
        Payment.objects.filter(order=OuterRef("pk"))
        .values("order")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    refunded = (
        Payment.objects.filter(order=OuterRef("pk"))
        .values("order")
        .annotate(total=Sum("refunded_amount"))
        .values("total")
    )
    units = (
        OrderLine.objects.filter(order=OuterRef("pk"))
        .values("order")
        .annotate(total=Sum("quantity"))
        .values("total")
    )
    money = DecimalField(max_digits=12, decimal_places=2)
    orders = (
        queryset.select_related("customer", "placing_location", "staff_member")
        .annotate(
            paid=Coalesce(Subquery(paid, output_field=money), Value(Decimal("0"))),
            refunded=Coalesce(
                Subquery(refunded, output_field=money), Value(Decimal("0"))
            ),
            units=Coalesce(Subquery(units, output_field=IntegerField()), Value(0)),
        )
        .order_by("created_at", "id")
    )
    yield [
        "number",
        "created_at",
        "channel",
        "status",
        "fulfilment",
        "placing_shop",
        "staff_member",
        "customer_id",
        "customer_name",
        "email",
        "phone",
        "units",
        "currency",
        "subtotal",
        "discount",
        "total",
        "paid",
        "refunded",
        "discount_code",
    ]
    for order in orders.iterator(chunk_size=EXPORT_CHUNK):
        customer = order.customer
        yield [
            order.number,
            timezone.localtime(order.created_at).isoformat(timespec="seconds"),
            order.channel,
            order.status,
            order.fulfilment_method,
            order.placing_location.code if order.placing_location else "",
            order.staff_member.username if order.staff_member else "",
            customer.pk if customer else "",
            customer.full_name if customer else "",
            order.email,
            order.phone,
            order.units,
            order.currency,
            order.subtotal,
            order.discount_total,
            order.total,
            _cents(order.paid),
            _cents(order.refunded),
            order.discount_code,
        ]


def _cents(value) -> Decimal:
    return Decimal(value or 0).quantize(Decimal("0.01"))


class _Echo:
    def write(self, value):
        return value


def _csv_safe(value):
    """Cells a spreadsheet would run as a formula are written as text."""
    text = "" if value is None else str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r") and not _is_number(text):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        Decimal(text)
    except ArithmeticError:
        return False
    return True


@admin.register(Order)
class OrderAdmin(PhoneAwareSearch, ReadOnlyAdmin):
    list_display = [
        "number",
        "customer",
        "channel",
        "status",
        "fulfilment_method",
        "placing_location",
        "total",
        "created_at",
    ]
    list_select_related = ["customer", "placing_location"]
    list_filter = [
        "channel",
        "status",
        "placing_location",
        "fulfilment_method",
        "created_at",
    ]
    search_fields = [
        "=number",
        "email",
        "phone",
        "customer__first_name",
        "customer__last_name",
        "customer__email",
    ]
    ordering = ["-created_at", "-id"]
    show_full_result_count = False
    list_per_page = 50
    change_list_template = "admin/orders/order/change_list.html"

    def get_urls(self):
        from django.urls import path

        report = self.admin_site.admin_view(self.sales_report_view)
        return [
            path("report/", report, name="orders_order_report"),
            *super().get_urls(),
        ]

    def sales_report_view(self, request):
        """Sales by channel and shop, click-and-collect share, cross-channel buyers."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        days = _report_days(request)
        since = timezone.now() - timedelta(days=days) if days else None
        report = sales_report(since=since)
        context = {
            **self.admin_site.each_context(request),
            "title": "Sales report",
            "opts": self.model._meta,
            "periods": REPORT_PERIODS,
            "days": days,
            "report": report,
            "channel_chart": bar_chart(
                "Revenue by channel",
                [(row["channel"], [row["revenue"]]) for row in report.by_channel],
                series=["revenue"],
                unit="money",
            ),
            "shop_chart": bar_chart(
                "Revenue by shop: counter sales and click and collect",
                [
                    (row["shop"], [row["counter_revenue"], row["pickup_revenue"]])
                    for row in report.by_shop[:15]
                ],
                series=["counter", "click and collect"],
                unit="money",
            ),
            "cross_chart": bar_chart(
                "Customers by the channels they buy in",
                [
                    ("online and in store", [report.cross_channel["both"]]),
                    ("online only", [report.cross_channel["online_only"]]),
                    ("in store only", [report.cross_channel["store_only"]]),
                ],
                series=["customers"],
            ),
        }
        return TemplateResponse(
            request, "admin/orders/order/sales_report.html", context
        )

    actions = ["cancel_orders", "export_csv"]
    inlines = [OrderLineInline, FulfilmentInline, PaymentInline, StatusHistoryInline]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "number",
                    "status",
                    "channel",
                    "fulfilment_method",
                    "customer",
                    "email",
                    "phone",
                    "placing_location",
                    "staff_member",
                    "created_at",
                    "updated_at",
                ]
            },
        ),
        (
            "Money",
            {
                "fields": [
                    "currency",
                    "subtotal",
                    "discount_total",
                    "total",
                    "discount_code",
                    "attributed_campaign_id",
                    "loyalty_points",
                    "refunds",
                ]
            },
        ),
        (
            "Pickup and delivery",
            {
                "fields": [
                    "ready_at",
                    "pickup_expires_at",
                    "reminder_sent_at",
                    "collected_at",
                    "shipped_at",
                    "delivered_at",
                    "cancelled_at",
                ]
            },
        ),
    ]
    readonly_fields = ["refunds"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("customer")

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is not None:
            obj._refunds = list(
                Refund.objects.filter(payment__order=obj)
                .select_related("payment", "actor")
                .order_by("id")
            )
        return obj

    @admin.display(description="Refunds")
    def refunds(self, obj):
        refunds = getattr(obj, "_refunds", None)
        if refunds is None:
            refunds = list(
                Refund.objects.filter(payment__order=obj).select_related(
                    "payment", "actor"
                )
            )
        if not refunds:
            return "—"
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                "<li>{} {} on {} · {} · {} ({})</li>",
                (
                    (
                        r.amount,
                        r.payment.currency,
                        r.payment.get_method_display(),
                        timezone.localtime(r.created_at).strftime("%d %b %Y %H:%M"),
                        r.reason,
                        r.reference,
                    )
                    for r in refunds
                ),
            ),
        )

    def has_cancel_permission(self, request) -> bool:
        return request.user.has_perm("orders.change_order")

    @admin.action(description="Cancel selected orders", permissions=["cancel"])
    def cancel_orders(self, request, queryset):
        """Each order through ``cancel_order`` (stock released, payments refunded,
        history and customer told), one transaction each: one refusal does not hold
        back the others and is reported by its number."""
        form = CancelOrdersForm(request.POST if "confirm" in request.POST else None)
        if not form.is_valid():
            context = {
                **self.admin_site.each_context(request),
                "title": "Cancel orders",
                "orders": list(queryset.select_related("customer")[:SHOWN]),
                "count": queryset.count(),
                "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
                "form": form,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
                "opts": self.model._meta,
                "select_across": request.POST.get("select_across", "0"),
            }
            return TemplateResponse(
                request, "orders/staff/admin_cancel_orders.html", context
            )
        reason = form.cleaned_data["reason"]
        done = []
        for order in queryset.order_by("id"):
            try:
                services.cancel_order(order=order, actor=request.user, reason=reason)
            except ApplicationError as error:
                self.message_user(
                    request, f"{order.number}: {error.message}", level=messages.ERROR
                )
            else:
                done.append(order.number)
        if done:
            self.message_user(
                request,
                f"Cancelled {len(done)} order{'s' if len(done) != 1 else ''}: "
                f"{', '.join(done)}. Stock released and payments refunded.",
                level=messages.SUCCESS,
            )
        return None

    @admin.action(description="Export selected orders as CSV")
    def export_csv(self, request, queryset):
        writer = csv.writer(_Echo())
        rows = (
            writer.writerow([_csv_safe(cell) for cell in row])
            for row in _export_rows(queryset)
        )
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        response = StreamingHttpResponse(rows, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="orders-{stamp}.csv"'
        return response


class RefundInline(ReadOnlyInline):
    model = Refund
    fields = [
        "created_at",
        "amount",
        "reason",
        "reference",
        "provider_reference",
        "actor",
    ]
    readonly_fields = fields


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = [
        "order",
        "method",
        "amount",
        "refunded_amount",
        "currency",
        "status",
        "provider_reference",
        "created_at",
    ]
    list_select_related = ["order"]
    list_filter = ["method", "status"]
    search_fields = ["=order__number", "provider_reference"]
    show_full_result_count = False
    inlines = [RefundInline]


class CartLineInline(ReadOnlyInline):
    model = CartLine
    fields = ["variant", "quantity", "added_at"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("variant__product")


@admin.register(Cart)
class CartAdmin(ReadOnlyAdmin):
    """Carts are the customer's: looked at to help them, never changed by hand. The
    token is a secret that opens an anonymous cart, so it is not shown."""

    list_display = [
        "id",
        "customer",
        "channel",
        "status",
        "line_count",
        "updated_at",
        "order",
    ]
    list_select_related = ["customer", "order"]
    list_filter = ["status", "channel"]
    search_fields = ["customer__last_name", "customer__email", "=order__number"]
    exclude = ["token"]
    show_full_result_count = False
    inlines = [CartLineInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(line_count=Count("lines"))

    @admin.display(description="Lines", ordering="line_count")
    def line_count(self, obj):
        return obj.line_count


# Returns, store credit and the returns rate report register themselves.
from . import returns_admin  # noqa: E402, F401

REPORT_PERIODS = [
    (7, "7 days"),
    (30, "30 days"),
    (90, "90 days"),
    (365, "a year"),
    (0, "all time"),
]


def _report_days(request) -> int:
    try:
        days = int(request.GET.get("days", 30))
    except ValueError:
        return 30
    return days if days in dict(REPORT_PERIODS) else 30


# Discount codes register themselves.
from . import discounts_admin  # noqa: E402, F401
