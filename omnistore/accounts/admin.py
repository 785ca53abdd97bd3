"""Logins, for the platform's superuser. A login's role is its group (Associate, Store
manager, Area manager, Headquarters); ``role`` follows the groups and is shown, not
edited. Shop staff belong to their ``shops``, the home ``store`` among them.

A login is never deleted, not even by the superuser: the admin's log, timelines,
merges and histories name it as who acted, and its deletion would delete or blank
them. Someone who leaves is deactivated (the action, or *Active* on the form)."""

from django.contrib import admin, messages
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from omnistore.core.exceptions import ApplicationError

from .models import User
from .scoping import ShopScopedAdmin
from .services import OWN_LOGIN, deactivate_login


class ManagersLoginForm(AdminAuthenticationForm):
    """The admin's sign-in, saying where associates go (the same words for a wrong
    password and a login without admin access: neither is told apart)."""

    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "invalid_login": (
            "Please enter the correct username and password of a manager's or "
            "headquarters' login. Store associates sign in to the staff pages at "
            "/staff/."
        ),
    }


admin.site.login_form = ManagersLoginForm


@admin.register(User)
class UserAdmin(ShopScopedAdmin, BaseUserAdmin):
    list_display = [
        "username",
        "email",
        "first_name",
        "last_name",
        "role",
        "store",
        "is_staff",
        "is_active",
    ]
    list_filter = ["role", "groups", "store", "is_staff", "is_active"]
    list_select_related = ["store"]
    actions = ["deactivate"]
    readonly_fields = ["role"]
    filter_horizontal = [*BaseUserAdmin.filter_horizontal, "shops"]
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        ("Shops", {"fields": ("role", "store", "shops")}),
    )
    add_fieldsets = (
        *BaseUserAdmin.add_fieldsets,
        ("Shops", {"fields": ("store", "shops")}),
    )

    def has_delete_permission(self, request, obj=None):
        return False

    def get_form(self, request, obj=None, **kwargs):
        """One's own login stays active here too (``deactivate_login``'s rule):
        unticking *Active* on one's own page is ignored, as the field is shown
        fixed."""
        form = super().get_form(request, obj, **kwargs)
        active = form.base_fields.get("is_active")
        if obj is not None and obj.pk == request.user.pk and active is not None:
            active.disabled = True
            active.help_text = OWN_LOGIN
        return form

    @admin.action(
        description="Deactivate the selected logins (they leave)",
        permissions=["change"],
    )
    def deactivate(self, request, queryset):
        """Each login made inactive is kept in its history (who, when)."""
        done = 0
        for user in queryset:
            try:
                changed = deactivate_login(user=user, actor=request.user)
            except ApplicationError as error:
                self.message_user(request, f"{user}: {error.message}", messages.ERROR)
                continue
            if changed:
                done += 1
                self.log_change(request, user, "Deactivated")
        if done:
            self.message_user(
                request, f"{done} login(s) deactivated.", messages.SUCCESS
            )
