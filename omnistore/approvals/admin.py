"""Approvals in the admin: the record of every request, read-only (rows change only
through ``omnistore.approvals.services``), scoped to the shops the user may act on;
the managers' PINs with their lock state (never the hash): locked for a while, or
held after too many locks until lifted here; the action lifts either, kept in the
PIN's history with the tries refused. A PIN is never deleted here: that would also
wipe its failures and lock. Its owner changes it, or the login is deactivated."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils import timezone

from omnistore.accounts.scoping import shop_ids
from omnistore.approvals.models import Approval, ApprovalPin
from omnistore.approvals.selectors.approvals import is_pin_locked
from omnistore.approvals.services.pins import LiftedLock, unlock_pin
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
    """Each PIN's history lists the tries refused (who typed it, for which
    request, when) and the locks lifted."""

    list_display = [
        "user",
        "changed_at",
        "failures",
        "locked_until",
        "locks",
        "held_since",
        "is_locked",
    ]
    list_filter = [("held_since", admin.EmptyFieldListFilter)]
    fields = [
        "user",
        "changed_at",
        "failures",
        "locked_until",
        "locks",
        "locks_since",
        "held_since",
    ]
    readonly_fields = fields
    search_fields = ["user__username", "user__first_name", "user__last_name"]
    actions = ["unlock"]

    @admin.display(boolean=True, description="Locked")
    def is_locked(self, obj):
        return is_pin_locked(obj, now=timezone.now())

    @admin.action(
        description="Lift the lock of the selected PINs", permissions=["change"]
    )
    def unlock(self, request, queryset):
        """Each lock or hold lifted is kept in the PIN's history (who, when, what
        held); a PIN neither locked nor held is left as it is and not counted."""
        lifted = left = 0
        for pin in queryset.select_related("user"):
            done = unlock_pin(pin=pin)
            if done is None:
                left += 1
                continue
            lifted += 1
            self.log_change(request, pin, _lifted_note(done))
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


def _lifted_note(lifted: LiftedLock) -> str:
    if lifted.held_since is not None:
        since = timezone.localtime(lifted.held_since)
        return (
            f"Lock lifted (locked since {since:%d %b %H:%M} after {lifted.locks} "
            "locks within 24 hours)"
        )
    until = timezone.localtime(lifted.locked_until)
    return f"Lock lifted (locked until {until:%H:%M})"
