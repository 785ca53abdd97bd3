"""Logins, for the platform's superuser. A login's role is its group (Associate, Store
manager, Area manager, Headquarters); ``role`` follows the groups and is shown, not
edited. Shop staff belong to their ``shops``, the home ``store`` among them."""

from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import User
from .scoping import ShopScopedAdmin


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
    ]
    list_filter = ["role", "groups", "store", "is_staff", "is_active"]
    list_select_related = ["store"]
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
