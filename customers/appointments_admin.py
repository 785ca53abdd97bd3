"""Managers' admin for appointments: the bookings are read-only (they change only
through ``customers.services.appointments``, which stamps and records each step);
a shop's appointment hours and the associates taking appointments are set up here,
by the managers of that shop and HQ."""

from django import forms
from django.contrib import admin

from omnistore.accounts.scoping import ReadOnlyAdmin, ShopScopedAdmin, shop_ids

from .models import Appointment, AppointmentHours, AppointmentStaff
from .selectors.team import team_members


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


class AppointmentStaffForm(forms.ModelForm):
    """Only someone working at the shop takes its appointments."""

    class Meta:
        model = AppointmentStaff
        fields = ["user", "location", "active"]

    def clean(self):
        data = super().clean()
        user, location = data.get("user"), data.get("location")
        if user is not None and location is not None:
            works_there = user.store_id == location.pk or (
                user.shops.filter(pk=location.pk).exists()
            )
            if not works_there:
                self.add_error("user", f"{user} does not work at {location}.")
        return data


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

    form = AppointmentStaffForm

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user":  # the shop staff of the shops this admin sees
            kwargs["queryset"] = team_members(shop_ids(request.user))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
