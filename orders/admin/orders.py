"""Managers' admin for the order book.

Orders, payments and carts are looked at here, never edited: totals, statuses and
histories change only through ``orders.services`` so every change is priced, stocked,
refunded and recorded. The actions below call those services.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.models import CHANGE, LogEntry
from django.http import StreamingHttpResponse
from django.urls import path
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from omnistore.accounts.scoping import PartOfParentInline, ReadOnlyAdmin, in_scope_only
from omnistore.approvals.models import ApprovalChannel
from omnistore.core.admin_confirm import confirmed
from omnistore.core.admin_history import EventHistory
from omnistore.core.exceptions import ApplicationError
from omnistore.core.spreadsheet import SafeWriter
from orders.admin.base import PhoneAwareSearch, with_currency
from orders.admin.export import Echo, export_rows
from orders.admin.giftcards import GiftCardSoldInline
from orders.admin.invoices import InvoiceInline, issue_invoices
from orders.admin.order_cancel import NOT_YOURS, OrderCancelPage
from orders.admin.order_deliver import deliver_confirmed, delivery_confirmation
from orders.admin.reports import sales_report_page, vat_ledger_page
from orders.admin.returns import OrderReturnInline
from orders.models import (
    DeliveryFeeWaiver,
    Fulfilment,
    Order,
    OrderLine,
    OrderStatusChange,
    Payment,
    PaymentEvent,
    PaymentMethod,
    Refund,
    TillMovement,
)
from orders.selectors.access import sold_or_fulfilled_here
from orders.selectors.orders import ORDER_SHOP_PATHS
from orders.selectors.till import TillLine, till_lines
from orders.services.fulfilment import cancel_order
from orders.services.refund_cash import CASH_NEEDS_TILL


class OrderLineInline(PartOfParentInline):
    model = OrderLine
    fields = [
        "sku",
        "name",
        "quantity",
        "unit_price",
        "discount",
        "line_total",
        "tax_class",
        "tax_rate",
        "net",
        "tax",
        "shelf_price",
        "price_reason",
        "price_approved_by",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        return (
            super().get_queryset(request).select_related("price_approval__decided_by")
        )

    @admin.display(description="Price approved by")
    def price_approved_by(self, line):
        """The manager who approved a price set at the counter, and how (a
        manager's own price: they set it)."""
        approval = line.price_approval
        if approval is None:
            return "—"
        how = approval.get_channel_display().lower()
        return f"{approval.decided_by.display_name} ({how})"


class PaymentInline(PartOfParentInline):
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


class FulfilmentInline(PartOfParentInline):
    model = Fulfilment
    fields = [
        "method",
        "status",
        "location",
        "pickup_location",
        "delivery_address",
        "ready_date",
        "transfer",
        "carrier",
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
            .select_related("order", "location", "pickup_location", "transfer")
        )


class StatusHistoryInline(PartOfParentInline):
    model = OrderStatusChange
    verbose_name = "status change"
    verbose_name_plural = "status history"
    fields = ["at", "get_from_status_display", "to_status", "actor", "location", "note"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor", "location")


class CancelOrdersForm(forms.Form):
    reason = forms.CharField(
        max_length=200,
        label="Reason (kept in each order's history and told to the customer)",
        widget=forms.TextInput(attrs={"size": 60}),
    )


def _till_parts(line: TillLine):
    """A booking's tenders as shown: its cash (with the cash tendered and the change
    given, when the customer handed some over), then each other tender."""
    m = line.movement
    if line.cash is not None:
        given = "" if m.tendered is None else f" · tendered {m.tendered}"
        given += "" if m.change is None else f" · change {m.change}"
        yield PaymentMethod.CASH.label, line.cash, given
    for label, amount in line.tenders:
        yield label, amount, ""


@admin.register(Order)
class OrderAdmin(EventHistory, OrderCancelPage, PhoneAwareSearch, ReadOnlyAdmin):
    shop_paths = ORDER_SHOP_PATHS
    list_display = [
        "number",
        "customer",
        "channel",
        "status",
        "fulfilment_method",
        "placing_location",
        "total_amount",
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
        "number",
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
    change_form_template = "admin/orders/order/change_form.html"
    object_history_template = "admin/orders/order/object_history.html"
    history_heading = "What happened to the order"

    @admin.display(description="total", ordering="total")
    def total_amount(self, order):
        return with_currency(order.total, order.currency)

    def history_events(self, order):
        """Orders are not edited here: their history is what happened to them (each
        status change, who, where and why), above any admin action on record."""
        return order.history.select_related("actor", "location")

    def get_urls(self):
        report = self.admin_site.admin_view(self.sales_report_view)
        ledger = self.admin_site.admin_view(self.vat_ledger_view)
        cancel = self.admin_site.admin_view(self.cancel_view)
        return [
            path("report/", report, name="orders_order_report"),
            path("vat-ledger/", ledger, name="orders_order_vat_ledger"),
            path("<path:object_id>/cancel/", cancel, name="orders_order_cancel"),
            *super().get_urls(),
        ]

    def sales_report_view(self, request):
        return sales_report_page(self, request)

    def vat_ledger_view(self, request):
        return vat_ledger_page(self, request)

    actions = ["cancel_orders", "deliver_orders", "export_csv", issue_invoices]
    inlines = [
        OrderLineInline,
        GiftCardSoldInline,
        FulfilmentInline,
        PaymentInline,
        OrderReturnInline,
        InvoiceInline,
        StatusHistoryInline,
    ]
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
                    "delivery_fee",
                    "delivery_fee_waived",
                    "total",
                    "discount_code",
                    "attributed_campaign_id",
                    "loyalty_points",
                    "refunds",
                    "payment_history",
                    "till_history",
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
    readonly_fields = [
        "delivery_fee_waived",
        "refunds",
        "payment_history",
        "till_history",
    ]

    def get_queryset(self, request):
        """With what the list shows: a ``select_related`` here stands in for
        ``list_select_related``, which Django applies only to a queryset without one."""
        return super().get_queryset(request).select_related(*self.list_select_related)

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is not None:
            obj._refunds = list(
                Refund.objects.filter(payment__order=obj)
                .select_related("payment", "actor")
                .order_by("id")
            )
        return obj

    @admin.display(description="Delivery fee waived")
    def delivery_fee_waived(self, obj):
        """What the shop waived of the delivery fee, who waived it, the manager who
        approved (not for their own) and why."""
        waiver = (
            DeliveryFeeWaiver.objects.filter(order=obj)
            .select_related("waived_by", "approval__decided_by")
            .first()
        )
        if waiver is None:
            return "—"
        approval, approved = waiver.approval, ""
        if approval is not None and approval.channel != ApprovalChannel.SELF:
            how = approval.get_channel_display().lower()
            approved = f", approved by {approval.decided_by.display_name} ({how})"
        return (
            f"{with_currency(waiver.amount, waiver.currency)} by "
            f"{waiver.waived_by.display_name}{approved}: {waiver.reason}"
        )

    @admin.display(description="Payment history")
    def payment_history(self, obj):
        """Each change of a payment after checkout: what, who, when, why."""
        events = PaymentEvent.objects.filter(payment__order=obj).select_related(
            "payment", "actor"
        )
        if not events:
            return "—"
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                "<li>{} · {} {} {} · {} → {} · {} · {} {}</li>",
                (
                    (
                        timezone.localtime(e.at).strftime("%d %b %Y %H:%M"),
                        e.get_kind_display(),
                        e.amount,
                        e.payment.currency,
                        e.get_from_status_display(),
                        e.get_to_status_display(),
                        e.actor or "system",
                        e.source,
                        e.note,
                    )
                    for e in events
                ),
            ),
        )

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
                "<li>{} {} to {} · {} · {} · {} ({})</li>",
                (
                    (
                        r.amount,
                        r.payment.currency,
                        r.get_given_as_display(),
                        timezone.localtime(r.created_at).strftime("%d %b %Y %H:%M"),
                        r.actor or "system",
                        r.reason,
                        r.reference,
                    )
                    for r in refunds
                ),
            ),
        )

    @admin.display(description="Till")
    def till_history(self, obj):
        """The order's bookings at a counter's till, one row per tender: the cash
        (tendered and change for a sale) and what went on a card or another tender,
        which never entered the drawer; with the register, who and when."""
        lines = till_lines(
            TillMovement.objects.filter(order=obj).select_related(
                "session__register", "actor"
            )
        )
        if not lines:
            return "—"
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                "<li>{} · {} {} {} · {}{} · {} · {}</li>",
                (
                    (
                        timezone.localtime(line.movement.created_at).strftime(
                            "%d %b %Y %H:%M"
                        ),
                        line.movement.get_kind_display(),
                        amount,
                        line.movement.session.currency,
                        label,
                        cash_given,
                        line.movement.session.register,
                        line.movement.actor or "system",
                    )
                    for line in lines
                    for label, amount, cash_given in _till_parts(line)
                ),
            ),
        )

    def has_cancel_permission(self, request) -> bool:
        return request.user.has_perm("orders.change_order")

    def has_issue_invoice_permission(self, request) -> bool:
        """Issuing an invoice adds a fiscal document: the invoices' add right."""
        return request.user.has_perm("orders.add_invoice")

    @admin.action(description="Cancel selected orders", permissions=["cancel"])
    @in_scope_only
    def cancel_orders(self, request, queryset):
        """Each order through ``cancel_order`` (stock released, payments refunded,
        history and customer told), one transaction each: one refusal does not hold
        back the others and is reported by its number. An order still holding cash
        is left for the shop that sold it, whose till gives the cash back: the page
        asking for a reason lists it as left out, and the run says it left it."""
        form = CancelOrdersForm(request.POST if "confirm" in request.POST else None)
        if not form.is_valid():
            return self.cancel_orders_page(request, queryset, form)
        reason = form.cleaned_data["reason"]
        done = []
        for order in queryset.order_by("id"):
            if not sold_or_fulfilled_here(request.user, order):
                self.message_user(
                    request, f"{order.number} {NOT_YOURS}.", level=messages.ERROR
                )
                continue
            try:
                cancel_order(order=order, actor=request.user, reason=reason)
            except ApplicationError as error:
                if error.code == CASH_NEEDS_TILL:  # said naming the order and shop
                    said, level = f"Not cancelled: {error.message}", messages.WARNING
                else:
                    said, level = f"{order.number}: {error.message}", messages.ERROR
                self.message_user(request, said, level=level)
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

    def has_deliver_permission(self, request) -> bool:
        """Managers and HQ, with the right to change orders."""
        user = request.user
        return user.is_manager and user.has_perm("orders.change_order")

    @admin.action(description="Mark delivered", permissions=["deliver"])
    @in_scope_only
    def deliver_orders(self, request, queryset):
        """Shipped deliveries the customer has now, each through ``mark_delivered``
        (one transaction each) where the manager may say so
        (``may_confirm_delivery``), once a page listing them is confirmed (their
        return windows start: nobody takes that back); only the orders the page
        listed to mark move, the others are said to be left as they are, with why
        (``orders/admin/order_deliver.py``)."""
        if not confirmed(request):
            return delivery_confirmation(self, request, queryset)
        return deliver_confirmed(self, request, queryset)

    @admin.action(description="Export selected orders as CSV", permissions=["view"])
    def export_csv(self, request, queryset):
        """The orders' customers' names and contacts leave in the file: each order's
        history records who exported it, and with how many orders."""
        exported = Order.objects.filter(pk__in=queryset.values("pk")).only("number")
        count = len(exported)
        LogEntry.objects.log_actions(
            user_id=request.user.pk,
            queryset=exported,
            action_flag=CHANGE,
            change_message=(
                f"Exported as CSV ({count} order{'' if count == 1 else 's'})"
            ),
        )
        writer = SafeWriter(Echo())
        rows = (writer.writerow(row) for row in export_rows(queryset))
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        response = StreamingHttpResponse(rows, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="orders-{stamp}.csv"'
        return response
