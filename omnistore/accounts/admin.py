"""Logins, for the platform's superuser. A login's role is its group (Associate, Store
manager, Area manager, Headquarters); ``role`` follows the groups and is shown, not
edited. Shop staff belong to their ``shops``, the home ``store`` among them; the
role's rules (``assign_role``'s) hold on the login's page before anything is saved.

A login is never deleted, not even by the superuser: the admin's log, timelines,
merges and histories name it as who acted, and its deletion would delete or blank
them. Someone who leaves is deactivated (the action, or *Active* on the form).

A password set here, or made unusable, signs the login out everywhere: its API
tokens are deleted and its sessions end (``set_password``)."""

from django.contrib import admin, messages
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.contrib.auth.models import Group
from django.contrib.auth.views import PasswordChangeView
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from omnistore.core.exceptions import ApplicationError, ValidationFailed

from .forms import LoginPasswordForm, OwnPasswordChangeForm
from .models import User
from .roles import ROLE_GROUP_NAMES, role_of_groups
from .scoping import ShopScopedAdmin
from .services import (
    OWN_LOGIN,
    OWN_SUPERUSER,
    deactivate_login,
    keep_a_superuser,
    reaches_admin,
    role_shops,
)
from .sign_in import LimitedSignInForm, limited_password_tries


class ManagersLoginForm(LimitedSignInForm, AdminAuthenticationForm):
    """The admin's sign-in, saying where associates go (the same words for a wrong
    password and a login without admin access: neither is told apart), limited per
    client address (``omnistore.accounts.sign_in``)."""

    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "invalid_login": (
            "Please enter the correct username and password of a manager's or "
            "headquarters' login. Store associates sign in to the staff pages at "
            "/staff/."
        ),
    }

    def may_sign_in_here(self, user) -> bool:
        return user.is_staff


class OwnPasswordChangeView(PasswordChangeView):
    form_class = OwnPasswordChangeForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "request": self.request}


@limited_password_tries
def own_password_change(request, extra_context=None):
    """The admin's *Change password* (one's own), Django's page saving through
    ``OwnPasswordChangeForm``, as the staff pages' does: signed out everywhere
    else, this session kept; the current passwords tried limited per login (429
    past the limit)."""
    request.current_app = admin.site.name
    return OwnPasswordChangeView.as_view(
        success_url=reverse("admin:password_change_done"),
        extra_context={**admin.site.each_context(request), **(extra_context or {})},
    )(request)


# The default site's login and own-password pages, with the forms above: its URLs
# are built from these attributes when the URLconf loads, after this module.
admin.site.login_form = ManagersLoginForm
admin.site.login = limited_password_tries(admin.site.login)
admin.site.password_change = own_password_change

STAFF_STATUS_FOLLOWS_ROLE = (
    "Follows the role: managers and headquarters reach the admin, associates do "
    "not; the superuser always does."
)


class LoginForm(UserChangeForm):
    """A login's page. The ticked groups name the role (``role_of_groups``), and the
    role's rules are those of ``assign_role``: shop staff belong to a shop, a store
    manager to exactly one, the home shop among the shops (``role_shops``), and
    *Staff status* follows the role (``reaches_admin``). The home shop is not picked
    for them here: shop staff without one are refused at the field
    (``User.clean``, judging the new role). There is always an active superuser
    (``keep_a_superuser``). A login breaking a rule is refused on the form, nothing
    saved."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        staff = self.fields.get("is_staff")
        if staff is not None:
            staff.disabled = True
            staff.help_text = STAFF_STATUS_FOLLOWS_ROLE

    def clean(self):
        data = super().clean()
        self._keep_a_superuser(data)
        fields = ("groups", "store", "shops")
        if any(name not in self.fields or name in self.errors for name in fields):
            return data
        role = role_of_groups(group.name for group in data["groups"])
        try:
            _, data["shops"] = role_shops(
                role=role, shops=data["shops"], home=data["store"]
            )
        except ValidationFailed as error:
            for name in error.extra:
                self.add_error(name if name in self.fields else None, error.message)
            return data
        if "is_staff" in self.fields:
            superuser = data.get("is_superuser", self.instance.is_superuser)
            data["is_staff"] = reaches_admin(role=role, is_superuser=bool(superuser))
        self.instance.role = role
        return data

    def _keep_a_superuser(self, data) -> None:
        """Unticking *Superuser status* or *Active* of the last active superuser is
        refused beside the box unticked."""
        superuser = bool(data.get("is_superuser", self.instance.is_superuser))
        active = bool(data.get("is_active", self.instance.is_active))
        try:
            keep_a_superuser(
                user=self.instance, is_superuser=superuser, is_active=active
            )
        except ApplicationError as error:
            field = "is_superuser" if not superuser else "is_active"
            self.add_error(field if field in self.fields else None, error.message)


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
    form = LoginForm
    change_password_form = LoginPasswordForm
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
        """One's own login stays active here too (``deactivate_login``'s rule), and
        a superuser's own status is taken away only by another superuser: unticking
        *Active* or *Superuser status* on one's own page is ignored, as the fields
        are shown fixed."""
        form = super().get_form(request, obj, **kwargs)
        if obj is None or obj.pk != request.user.pk:
            return form
        for name, why in (("is_active", OWN_LOGIN), ("is_superuser", OWN_SUPERUSER)):
            field = form.base_fields.get(name)
            if field is not None:
                field.disabled = True
                field.help_text = why
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


def is_role_group(group) -> bool:
    return group is not None and group.name in ROLE_GROUP_NAMES


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(BaseGroupAdmin):
    """Groups, for the platform's superuser. A role's group (``ROLE_GROUPS``) keeps
    its name and is never deleted: its members' ``role`` follows it, so it is shown
    with its name fixed and no Delete (the bulk delete refuses it too, as a row one
    may not delete); the model refuses it to any other code
    (``role_group_not_deleted``, ``role_group_not_renamed``). Its permissions are
    the role's design (``group_permissions``, set again on every ``migrate``), so
    they are listed, not edited: a change here would hold only until the next
    deploy."""

    def get_fields(self, request, obj=None):
        if is_role_group(obj):
            return ["name", "designed_permissions"]
        return super().get_fields(request, obj)

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        if is_role_group(obj):
            return [*fields, "name", "designed_permissions"]
        return fields

    @admin.display(description="Permissions")
    def designed_permissions(self, obj):
        held = obj.permissions.select_related("content_type").order_by(
            "content_type__app_label", "content_type__model", "codename"
        )
        rows = format_html_join("", "<li>{}</li>", ((str(p),) for p in held))
        return format_html(
            "<p>The role's permissions, as designed: set again on every migrate, "
            "so they are not edited here.</p><ul>{}</ul>",
            rows or format_html("<li>{}</li>", "None"),
        )

    def has_delete_permission(self, request, obj=None):
        return not is_role_group(obj) and super().has_delete_permission(request, obj)
