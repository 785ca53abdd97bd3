"""Approvals in the admin: the record of every request, read-only (rows change only
through ``omnistore.approvals.services``), scoped to the shops the user may act on;
the managers' PINs with their lock state (never the hash), and an action to lift a
lock early, kept in the PIN's history. A PIN is never deleted here: that would also
wipe its failures and lock. Its owner changes it, or the login is deactivated."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils import timezone

from omnistore.accounts.scoping import shop_ids
from omnistore.approvals.models import Approval, ApprovalPin
from omnistore.approvals.services.pins import unlock_pin
from omnistore.core.admin_links import LinksWhereAllowed


@admin.register(Approval)
class ApprovalAdmin(LinksWhereAllowed, admin.ModelAdmin):
    list_display = [
        "requested_at",
        "kind",
        "summary",
        "amount",
        "location",
        "requested_by",
        "status",
        "decided_by",
        "channel",
    ]
    list_filter = ["status", "kind", "channel", "location"]
    search_fields = ["subject", "summary", "requested_by__username"]
    date_hierarchy = "requested_at"
    list_select_related = ["location", "requested_by", "decided_by"]

    def get_queryset(self, request):
        """The approvals of the user's shops (every one for HQ), a shop closed since
        included: a record stays readable after its shop is switched off."""
        queryset = super().get_queryset(request)
        ids = shop_ids(request.user)
        return queryset if ids is None else queryset.filter(location_id__in=ids)

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ApprovalPin)
class ApprovalPinAdmin(LinksWhereAllowed, admin.ModelAdmin):
    list_display = ["user", "changed_at", "failures", "locked_until", "is_locked"]
    fields = ["user", "changed_at", "failures", "locked_until"]
    readonly_fields = fields
    search_fields = ["user__username", "user__first_name", "user__last_name"]
    actions = ["unlock"]

    @admin.display(boolean=True, description="Locked")
    def is_locked(self, obj):
        return obj.locked_until is not None and obj.locked_until > timezone.now()

    @admin.action(
        description="Lift the lock of the selected PINs", permissions=["change"]
    )
    def unlock(self, request, queryset):
        """Each lock lifted is kept in the PIN's history (who, when, until when it
        held); a PIN that was not locked is left as it is and not counted."""
        lifted = left = 0
        for pin in queryset.select_related("user"):
            until = unlock_pin(pin=pin)
            if until is None:
                left += 1
                continue
            lifted += 1
            local = timezone.localtime(until)
            self.log_change(request, pin, f"Lock lifted (locked until {local:%H:%M})")
        if lifted:
            messages.success(request, f"{lifted} PIN(s) unlocked.")
        if left:
            messages.info(request, f"{left} PIN(s) were not locked: left as they are.")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return request.user.sees_all_stores

    def has_delete_permission(self, request, obj=None):
        return False
