from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = [
        "username",
        "email",
        "first_name",
        "last_name",
        "role",
        "store",
        "is_staff",
    ]
    list_filter = ["role", "store", "is_staff", "is_active"]
    list_select_related = ["store"]
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        ("Store role", {"fields": ("role", "store")}),
    )
    add_fieldsets = (
        *BaseUserAdmin.add_fieldsets,
        ("Store role", {"fields": ("role", "store")}),
    )
