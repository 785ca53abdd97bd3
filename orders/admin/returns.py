"""Managers' admin for returns and store credit, and the returns rate report.

Returns are looked at here, never edited: their lines, history and refunds are
read-only; the actions call ``orders.services``.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import Prefetch
from django.urls import path

from omnistore.accounts.scoping import PartOfParentInline, ReadOnlyAdmin
from omnistore.core.admin_history import EventHistory
from omnistore.core.admin_links import may_open
from omnistore.core.exceptions import ApplicationError
from orders.admin.base import through, with_currency
from orders.admin.reports import returns_rate_page
from orders.models import (
    Return,
    ReturnLine,
    ReturnRefund,
    ReturnStatus,
    ReturnStatusChange,
    StoreCreditTransaction,
)
from orders.selectors.refunds_given import refunds_made
from orders.selectors.returns import refund_said
from orders.services.return_endings import close_return


class ReturnLineInline(PartOfParentInline):
    model = ReturnLine
    fields = [
        "sku",
        "item",
        "quantity",
        "reason",
        "note",
        "condition",
        "disposition",
        "amount",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("order_line")

    @admin.display(description="SKU")
    def sku(self, obj):
        return obj.order_line.sku

    @admin.display(description="Item")
    def item(self, obj):
        return obj.order_line.name


class ReturnHistoryInline(PartOfParentInline):
    model = ReturnStatusChange
    verbose_name = "status change"
    verbose_name_plural = "status history"
    fields = ["at", "get_from_status_display", "to_status", "actor", "location", "note"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor", "location")


class ReturnRefundInline(PartOfParentInline):
    model = ReturnRefund
    verbose_name = "refund to a payment"
    fields = ["payment", "amount", "refund"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("payment", "refund")


class StoreCreditInline(PartOfParentInline):
    model = StoreCreditTransaction
    fk_name = "return_request"
    verbose_name = "store credit"
    verbose_name_plural = "store credit"
    fields = ["created_at", "customer", "amount", "currency", "expires_at", "reference"]
    readonly_fields = fields


# The shops a return belongs to: the one that received it and those of its order
# (``through("order")``: the shop that took it, ships it or hands it over), so a
# manager opens every return of an order they may open.
RETURN_SHOP_PATHS = ("receiving_location", *through("order"))


class OrderReturnInline(PartOfParentInline):
    """An order's returns on the order's page, each with how its money went back
    (to the payments, as points, as store credit), linked to its own page for who
    may open it."""

    model = Return
    fk_name = "order"
    verbose_name = "return"
    fields = [
        "code",
        "status",
        "started_channel",
        "receiving_location",
        "refund_method",
        "refunded_as",
        "created_at",
    ]
    readonly_fields = fields

    def get_formset(self, request, obj=None, **kwargs):
        """The link to each return's page, for who may open returns: the returns
        of an order one may open are among one's returns (``RETURN_SHOP_PATHS``
        holds the order's shops), so the right to view returns decides it; anyone
        else reads each return by its name."""
        self.show_change_link = may_open(self.admin_site, request, Return)
        return super().get_formset(request, obj, **kwargs)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("order", "receiving_location")
            .prefetch_related(
                Prefetch("refunds", queryset=refunds_made()),
                Prefetch(
                    "store_credit",
                    queryset=StoreCreditTransaction.objects.order_by("id"),
                ),
            )
        )

    @admin.display(description="Refunded")
    def refunded_as(self, ret):
        return refund_said(ret) if ret.refunded_at else "—"


@admin.register(Return)
class ReturnAdmin(EventHistory, ReadOnlyAdmin):
    shop_paths = RETURN_SHOP_PATHS
    history_heading = "What happened to the return"
    list_display = [
        "code",
        "order",
        "customer",
        "status",
        "started_channel",
        "receiving_location",
        "refund_method",
        "refund_amount",
        "created_at",
    ]
    list_select_related = ["order", "customer", "receiving_location"]
    list_filter = [
        "status",
        "lines__reason",
        "receiving_location",
        "lines__disposition",
        "started_channel",
        "refund_method",
        "created_at",
    ]
    search_fields = [
        "=code",
        "=order__number",
        "customer__last_name",
        "customer__email",
    ]
    ordering = ["-created_at", "-id"]
    show_full_result_count = False
    list_per_page = 50
    actions = ["close_returns"]
    change_list_template = "orders/staff/returns/admin_change_list.html"
    inlines = [
        ReturnLineInline,
        ReturnRefundInline,
        StoreCreditInline,
        ReturnHistoryInline,
    ]
    fields = [
        "code",
        "status",
        "order",
        "customer",
        "started_channel",
        "receiving_location",
        "created_by",
        "refund_method",
        "refund_total",
        "points_reversed",
        "override_reason",
        "note",
        "exchange_order",
        "created_at",
        "received_at",
        "refunded_at",
        "closed_at",
        "cancelled_at",
    ]

    @admin.display(description="refund total", ordering="refund_total")
    def refund_amount(self, ret):
        return with_currency(ret.refund_total, ret.order.currency)

    def history_events(self, ret):
        """Returns move through the services (the staff screens, the actions): each
        status change, who, where and why."""
        return ret.history.select_related("actor", "location")

    def get_urls(self):
        report = self.admin_site.admin_view(self.report_view)
        return [
            path("report/", report, name="orders_return_report"),
            *super().get_urls(),
        ]

    def has_close_permission(self, request) -> bool:
        return request.user.has_perm("orders.change_return")

    @admin.action(description="Close selected refunded returns", permissions=["close"])
    def close_returns(self, request, queryset):
        closed = []
        for ret in queryset.filter(status=ReturnStatus.REFUNDED).order_by("id"):
            try:
                close_return(
                    return_request=ret, actor=request.user, note="Closed in admin"
                )
            except ApplicationError as error:
                self.message_user(
                    request, f"{ret.code}: {error.message}", level=messages.ERROR
                )
            else:
                closed.append(ret.code)
        self.message_user(
            request,
            f"Closed {len(closed)} return{'s' if len(closed) != 1 else ''}"
            + (f": {', '.join(closed)}." if closed else " (only refunded ones close)."),
            level=messages.SUCCESS if closed else messages.WARNING,
        )

    def report_view(self, request):
        return returns_rate_page(self, request)


@admin.register(StoreCreditTransaction)
class StoreCreditTransactionAdmin(ReadOnlyAdmin):
    shop_paths = (*through("return_request", RETURN_SHOP_PATHS), *through("order"))
    list_display = [
        "created_at",
        "customer",
        "kind",
        "amount",
        "currency",
        "expires_at",
        "reason",
        "return_request",
        "order",
    ]
    list_select_related = ["customer", "return_request", "order"]
    list_filter = ["kind", "created_at", "expires_at"]
    search_fields = [
        "=reference",
        "customer__last_name",
        "customer__email",
        "=return_request__code",
        "=order__number",
    ]
    ordering = ["-created_at", "-id"]
    show_full_result_count = False
