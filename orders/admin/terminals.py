"""Managers' admin for card-present payments: the shops' terminals and every intent
sent to them, with its history. All read-only: intents move only through
``orders.services.terminals``, and readers are paired with the provider."""

from __future__ import annotations

from django.contrib import admin

from omnistore.accounts.scoping import PartOfParentInline, ReadOnlyAdmin
from orders.models import TerminalDevice, TerminalIntent, TerminalIntentEvent


@admin.register(TerminalDevice)
class TerminalDeviceAdmin(ReadOnlyAdmin):
    shop_paths = ("location",)
    list_display = ["label", "location", "provider", "device_id", "is_active"]
    list_filter = ["provider", "is_active", "location"]
    search_fields = ["label", "device_id", "location__code", "location__name"]
    list_select_related = ["location"]


class TerminalIntentEventInline(PartOfParentInline):
    model = TerminalIntentEvent
    verbose_name = "status change"
    verbose_name_plural = "status history"
    fields = ["at", "from_status", "to_status", "source", "actor", "note"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


@admin.register(TerminalIntent)
class TerminalIntentAdmin(ReadOnlyAdmin):
    shop_paths = ("location",)
    list_display = [
        "reference",
        "created_at",
        "location",
        "device",
        "amount",
        "currency",
        "status",
        "order",
        "created_by",
    ]
    list_filter = ["status", "provider", "location"]
    search_fields = ["reference", "provider_reference", "order__number"]
    list_select_related = ["location", "device", "order", "created_by"]
    date_hierarchy = "created_at"
    inlines = [TerminalIntentEventInline]
    fields = [
        "reference",
        "status",
        "message",
        "amount",
        "currency",
        "device",
        "location",
        "cart",
        "order",
        "provider",
        "provider_reference",
        "idempotency_key",
        "created_by",
        "created_at",
        "expires_at",
        "updated_at",
        "sale",
    ]
    readonly_fields = fields
