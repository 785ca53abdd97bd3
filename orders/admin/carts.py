"""Carts in the admin: looked at to help a customer, never changed by hand."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count

from omnistore.accounts.scoping import PartOfParentInline, ReadOnlyAdmin
from orders.models import Cart, CartLine


class CartLineInline(PartOfParentInline):
    model = CartLine
    fields = ["variant", "quantity", "added_at"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("variant__product")


@admin.register(Cart)
class CartAdmin(ReadOnlyAdmin):
    """Carts are the customer's: looked at to help them, never changed by hand. The
    token is a secret that opens an anonymous cart, so it is not shown. A cart
    belongs to no shop: HQ's only (``shop_paths`` None, no manager permission)."""

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
