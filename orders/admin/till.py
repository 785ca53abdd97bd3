"""Managers' admin for the till: registers are set up here; sessions, their Z report
and the movement ledger are read-only (they change only through
``orders.services.till``). Shop staff see their own shop's tills; HQ sees all.

A register's sessions belong to its shop (their float, cash movements and refunds
are that shop's cash), so once it has had one its shop is fixed; and it stays in use
while a session is open, so the drawer is counted and closed at its own till."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.template.loader import render_to_string
from django.utils import timezone
from simple_history.admin import SimpleHistoryAdmin

from omnistore.accounts.scoping import (
    PartOfParentInline,
    ReadOnlyAdmin,
    ShopScopedAdmin,
)
from orders.models import Register, TillMovement, TillSession
from orders.selectors.till import open_session_of, till_line, z_report


def _in_use_message(session: TillSession) -> str:
    opened = timezone.localtime(session.opened_at).strftime("%d %b %Y %H:%M")
    return (
        f"{session.register} has a session open since {opened}, opened by "
        f"{session.opened_by}: close that session at the till before taking the "
        "register out of use."
    )


class RegisterForm(forms.ModelForm):
    def clean_active(self):
        """A register with an open session stays in use until that session closes."""
        active = self.cleaned_data.get("active")
        if active or self.instance.pk is None:
            return active
        session = open_session_of(self.instance)
        if session is not None:
            raise forms.ValidationError(_in_use_message(session), code="till_open")
        return active


@admin.register(Register)
class RegisterAdmin(ShopScopedAdmin, SimpleHistoryAdmin):
    shop_paths = ("location",)
    form = RegisterForm
    list_display = ["name", "location", "active"]
    list_filter = ["active", "location"]
    search_fields = ["name", "location__name"]

    def get_readonly_fields(self, request, obj=None):
        """The shop of a register that has had a session is shown, not offered."""
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.pk is not None and _has_sessions(obj):
            fields.append("location")
        return fields


def _has_sessions(register: Register) -> bool:
    """Asked once per register object (the admin reads its read-only fields several
    times a page)."""
    if not hasattr(register, "_has_sessions"):
        register._has_sessions = register.sessions.exists()
    return register._has_sessions


class TenderColumns:
    """A booking's cash in the drawer and its other tenders (a card sale, a refund
    to the card, store credit given), as the staff till reads it: a card refund is
    no 0.00 of cash."""

    @admin.display(description="cash")
    def cash(self, movement):
        line = till_line(movement)
        return "—" if line.cash is None else line.cash

    @admin.display(description="other tenders")
    def other_tenders(self, movement):
        tenders = till_line(movement).tenders
        return ", ".join(f"{label} {amount}" for label, amount in tenders) or "—"

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("refund__payment", "store_credit", "order", "actor")
            .prefetch_related("order__payments")
        )


class TillMovementInline(TenderColumns, PartOfParentInline):
    model = TillMovement
    fields = [
        "created_at",
        "kind",
        "cash",
        "other_tenders",
        "tendered",
        "change",
        "order",
        "refund",
        "store_credit",
        "reason",
        "actor",
    ]
    readonly_fields = fields


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
            .select_related(
                "register__location__legal_entity", "opened_by", "closed_by"
            )
        )

    @admin.display(description="Z report")
    def z_report(self, obj):
        return render_to_string(
            "admin/orders/till/_z_report.html", {"report": z_report(obj)}
        )


@admin.register(TillMovement)
class TillMovementAdmin(TenderColumns, ReadOnlyAdmin):
    shop_paths = ("session__register__location",)
    list_display = [
        "created_at",
        "session",
        "kind",
        "cash",
        "rounding",
        "other_tenders",
        "actor",
        "reason",
    ]
    list_filter = ["kind", "session__register__location"]
    search_fields = ["reason", "order__number"]
    readonly_fields = [
        "session",
        "kind",
        "cash",
        "rounding",
        "other_tenders",
        "tendered",
        "change",
        "order",
        "refund",
        "store_credit",
        "reason",
        "actor",
        "created_at",
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("session__register")
