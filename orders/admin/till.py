"""Managers' admin for the till: registers are set up here; sessions, their Z report
and the movement ledger are read-only (they change only through
``orders.services.till``). Shop staff see their own shop's tills; HQ sees all."""

from __future__ import annotations

from django.contrib import admin
from django.template.loader import render_to_string
from simple_history.admin import SimpleHistoryAdmin

from omnistore.accounts.scoping import (
    PartOfParentInline,
    ReadOnlyAdmin,
    ShopScopedAdmin,
)
from orders.models import Register, TillMovement, TillSession
from orders.selectors.till import z_report


@admin.register(Register)
class RegisterAdmin(ShopScopedAdmin, SimpleHistoryAdmin):
    shop_paths = ("location",)
    list_display = ["name", "location", "active"]
    list_filter = ["active", "location"]
    search_fields = ["name", "location__name"]


class TillMovementInline(PartOfParentInline):
    model = TillMovement
    fields = [
        "created_at",
        "kind",
        "amount",
        "tendered",
        "change",
        "order",
        "refund",
        "reason",
        "actor",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("order", "refund", "actor")


@admin.register(TillSession)
class TillSessionAdmin(ReadOnlyAdmin):
    shop_paths = ("register__location",)
    list_display = [
        "register",
        "status",
        "opened_at",
        "opened_by",
        "closed_at",
        "expected_cash",
        "counted_cash",
        "over_short",
    ]
    list_filter = ["status", "register__location"]
    date_hierarchy = "opened_at"
    readonly_fields = [
        "register",
        "status",
        "currency",
        "opening_float",
        "opening_count",
        "opened_by",
        "opened_at",
        "expected_cash",
        "counted_cash",
        "closing_count",
        "closed_by",
        "closed_at",
        "close_note",
        "approved_by",
        "approved_at",
        "approval_note",
        "z_report",
    ]
    inlines = [TillMovementInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("register__location", "opened_by", "closed_by")
        )

    @admin.display(description="Z report")
    def z_report(self, obj):
        return render_to_string(
            "admin/orders/till/_z_report.html", {"report": z_report(obj)}
        )


@admin.register(TillMovement)
class TillMovementAdmin(ReadOnlyAdmin):
    shop_paths = ("session__register__location",)
    list_display = ["created_at", "session", "kind", "amount", "actor", "reason"]
    list_filter = ["kind", "session__register__location"]
    search_fields = ["reason", "order__number"]
    readonly_fields = [
        "session",
        "kind",
        "amount",
        "tendered",
        "change",
        "order",
        "refund",
        "reason",
        "actor",
        "created_at",
    ]

    def get_queryset(self, request):
        return (
            super().get_queryset(request).select_related("session__register", "actor")
        )
