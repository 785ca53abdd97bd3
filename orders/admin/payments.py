"""Payments in the admin, read only: each with its events (captured, released,
lapsed, refunded) and its refunds."""

from __future__ import annotations

from django.contrib import admin

from omnistore.accounts.scoping import PartOfParentInline, ReadOnlyAdmin
from orders.admin.base import through
from orders.models import Payment, PaymentEvent, Refund


class RefundInline(PartOfParentInline):
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


class PaymentEventInline(PartOfParentInline):
    """Captured, released, lapsed, refunded: who, when, from where."""

    model = PaymentEvent
    fields = [
        "at",
        "kind",
        "from_status",
        "to_status",
        "amount",
        "actor",
        "source",
        "note",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    shop_paths = through("order")
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
    inlines = [PaymentEventInline, RefundInline]
