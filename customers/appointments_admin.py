"""Managers' admin for appointments: the bookings are read-only (they change only
through ``customers.services.appointments``, which stamps and records each step);
a shop's appointment hours and the associates taking appointments are set up here,
by the managers of that shop and HQ."""

from django.contrib import admin

from omnistore.accounts.models import SHOP_ROLES
from omnistore.accounts.scoping import ShopScopedAdmin

from .admin import ReadOnlyAdmin
from .models import Appointment, AppointmentHours, AppointmentStaff


@admin.register(Appointment)
class AppointmentAdmin(ReadOnlyAdmin):
    shop_paths = ("location",)
    list_display = [
        "starts_at",
        "kind",
        "status",
        "customer",
        "location",
        "associate",
        "channel",
        "reminder_sent_at",
    ]
    list_select_related = ["customer", "location", "associate"]
    list_filter = ["status", "kind", "channel", "location"]
    search_fields = ["customer__last_name", "customer__email", "associate__last_name"]
    date_hierarchy = "starts_at"
    raw_id_fields = ["customer"]
    readonly_fields = [
        "customer",
        "location",
        "associate",
        "kind",
        "status",
        "starts_at",
        "ends_at",
        "note",
        "channel",
        "booked_by",
        "created_at",
        "reminder_sent_at",
        "arrived_at",
        "arrived_by",
        "closed_at",
        "closed_by",
        "cancelled_at",
        "cancelled_by",
        "cancel_reason",
    ]


@admin.register(AppointmentHours)
class AppointmentHoursAdmin(ShopScopedAdmin, admin.ModelAdmin):
    shop_paths = ("location",)
    list_display = ["location", "weekday", "opens", "closes"]
    list_select_related = ["location"]
    list_filter = ["location", "weekday"]


@admin.register(AppointmentStaff)
class AppointmentStaffAdmin(ShopScopedAdmin, admin.ModelAdmin):
    """Who takes appointments; switched off with ``active``, never deleted, so the
    bookings they held keep their history."""

    shop_paths = ("location",)
    list_display = ["user", "location", "active"]
    list_select_related = ["user", "location"]
    list_filter = ["location", "active"]

    def has_delete_permission(self, request, obj=None):
        return False

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user":
            kwargs["queryset"] = db_field.related_model._default_manager.filter(
                role__in=SHOP_ROLES, is_active=True
            ).order_by("first_name", "last_name")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
