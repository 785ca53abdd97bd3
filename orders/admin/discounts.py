"""Managers' admin for discount codes.

Codes are created and changed through ``orders.services`` (the form's model checks show
a bad value next to its field first); ``times_used`` moves only with checkouts and
cancellations, so it is read-only here, like the redemptions listed under each code.
What a code takes off (kind, value) is fixed once it exists: orders were priced with it.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from omnistore.accounts.scoping import (
    PartOfParentInline,
    ReadOnlyAdmin,
    ShopScopedAdmin,
    in_scope_only,
)
from omnistore.core.admin_confirm import SHOWN, confirmation_page, confirmed
from omnistore.core.digits import is_digits
from omnistore.core.exceptions import ApplicationError
from orders.admin.base import through
from orders.models import DiscountCode, DiscountKind, DiscountRedemption
from orders.services.discounts import (
    DISCOUNT_EDITABLE_TERMS,
    campaign_id_problem,
    create_discount_code,
    deactivate_discount_code,
    discount_code_pattern_ok,
    normalize_discount_code,
    update_discount_code,
)

TERMS = [
    "kind",
    "value",
    "min_subtotal",
    "valid_from",
    "valid_until",
    "max_uses",
    "max_uses_per_customer",
    "channels",
    "campaign_id",
]
FIXED_ONCE_CREATED = ["code", "kind", "value", "active"]


class DiscountRedemptionInline(PartOfParentInline):
    model = DiscountRedemption
    fields = ["order_link", "customer", "amount", "created_at", "released_at"]
    readonly_fields = fields
    ordering = ["-created_at", "-id"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("code", "order", "customer")

    @admin.display(description="Order")
    def order_link(self, obj):
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:orders_order_change", args=[obj.order_id]),
            obj.order.number,
        )


class ValidityFilter(admin.SimpleListFilter):
    title = "validity"
    parameter_name = "validity"

    def lookups(self, request, model_admin):
        return [
            ("current", "Valid now"),
            ("scheduled", "Not yet valid"),
            ("expired", "Expired"),
        ]

    def queryset(self, request, queryset):
        now = timezone.now()
        started = Q(valid_from__isnull=True) | Q(valid_from__lte=now)
        running = Q(valid_until__isnull=True) | Q(valid_until__gt=now)
        if self.value() == "current":
            return queryset.filter(started & running)
        if self.value() == "scheduled":
            return queryset.filter(valid_from__gt=now)
        if self.value() == "expired":
            return queryset.filter(valid_until__lte=now)
        return queryset


class CampaignFilter(admin.SimpleListFilter):
    title = "campaign"
    parameter_name = "from_campaign"

    def lookups(self, request, model_admin):
        return [("yes", "Given out by a campaign"), ("no", "Not from a campaign")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(campaign_id__isnull=False)
        if self.value() == "no":
            return queryset.filter(campaign_id__isnull=True)
        return queryset


class DiscountCodeForm(forms.ModelForm):
    class Meta:
        model = DiscountCode
        fields = ["code", "active", *TERMS]
        help_texts = {
            "valid_from": "The code works from this moment (the shops' time zone).",
            "valid_until": (
                "The code stops working at this moment (the shops' time zone): for "
                "the whole of a day, give the next day at 00:00."
            ),
        }

    def clean_code(self) -> str:
        code = normalize_discount_code(self.cleaned_data["code"])
        if not discount_code_pattern_ok(code):
            raise forms.ValidationError(
                "3 to 40 letters, digits, '-' or '_', starting with a letter or digit."
            )
        return code

    def clean_campaign_id(self) -> int | None:
        """The campaign must exist (checked when it changes: a code keeps the campaign
        it was given)."""
        campaign_id = self.cleaned_data["campaign_id"]
        if "campaign_id" in self.changed_data:
            problem = campaign_id_problem(campaign_id)
            if problem:
                raise forms.ValidationError(problem)
        return campaign_id

    def clean(self):
        """The model's checks cover every term but one: uses are not on the form, so
        a limit below the uses already held is refused here."""
        data = super().clean()
        used = self.instance.times_used if self.instance.pk else 0
        limit = data.get("max_uses")
        if limit is not None and limit < used:
            self.add_error("max_uses", f"Already used {used} times: at least that.")
        return data


@admin.register(DiscountCode)
class DiscountCodeAdmin(ShopScopedAdmin, SimpleHistoryAdmin):
    """Codes serve the whole chain: HQ's (``shop_paths`` None, no manager right)."""

    form = DiscountCodeForm
    list_display = [
        "code",
        "kind",
        "value_shown",
        "validity",
        "uses",
        "channels",
        "active",
        "campaign_id",
        "created_at",
    ]
    list_filter = ["active", "kind", "channels", ValidityFilter, CampaignFilter]
    search_fields = ["code"]
    ordering = ["-created_at", "-id"]
    show_full_result_count = False
    list_per_page = 50
    actions = ["deactivate"]
    inlines = [DiscountRedemptionInline]
    readonly_fields = [
        "times_used",
        "created_by",
        "created_at",
        "deactivated_by",
        "deactivated_at",
    ]
    fieldsets = [
        (None, {"fields": ["code", "kind", "value", "active", "campaign_id"]}),
        (
            "Where and when",
            {"fields": ["channels", "valid_from", "valid_until", "min_subtotal"]},
        ),
        ("Limits", {"fields": ["max_uses", "max_uses_per_customer", "times_used"]}),
        (
            "Record",
            {
                "fields": [
                    "created_by",
                    "created_at",
                    "deactivated_by",
                    "deactivated_at",
                ]
            },
        ),
    ]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return self.readonly_fields
        return [*FIXED_ONCE_CREATED, *self.readonly_fields]

    def get_search_results(self, request, queryset, search_term):
        """Also find the codes of a campaign by its id."""
        results, may_have_duplicates = super().get_search_results(
            request, queryset, search_term
        )
        term = search_term.strip()
        if is_digits(term):
            results = results | queryset.filter(campaign_id=int(term))
        return results, may_have_duplicates

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Value", ordering="value")
    def value_shown(self, obj):
        if obj.kind == DiscountKind.PERCENTAGE:
            return f"{obj.value.normalize():f} %"
        return f"{obj.value}"

    @admin.display(description="Valid")
    def validity(self, obj):
        """Each end as the moment it is in the shops' time zone: a code that ends at
        00:00 has ended when that day begins."""

        def day(value):
            return timezone.localtime(value).strftime("%d %b %Y %H:%M") if value else ""

        if obj.valid_from is None and obj.valid_until is None:
            return "always"
        if obj.valid_until is None:
            return f"from {day(obj.valid_from)}"
        if obj.valid_from is None:
            return f"until {day(obj.valid_until)}"
        return f"{day(obj.valid_from)} – {day(obj.valid_until)}"

    @admin.display(description="Used / max", ordering="times_used")
    def uses(self, obj):
        limit = "∞" if obj.max_uses is None else obj.max_uses
        return f"{obj.times_used} / {limit}"

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            changes = {
                name: data[name]
                for name in DISCOUNT_EDITABLE_TERMS
                if name in form.changed_data
            }
            if changes:
                updated = update_discount_code(code=obj, actor=request.user, **changes)
                obj.times_used = updated.times_used
            return
        created = create_discount_code(
            code=data["code"],
            active=data["active"],
            actor=request.user,
            **{name: data[name] for name in TERMS},
        )
        obj.pk = created.pk
        obj.code = created.code
        obj.created_at = created.created_at
        obj.created_by = created.created_by

    @admin.action(description="Deactivate selected codes", permissions=["change"])
    @in_scope_only
    def deactivate(self, request, queryset):
        """Each active code through the service, once a page listing them is
        confirmed: it stops working at once and is never switched on again (it is
        fixed once created); orders that used it keep their price."""
        active = queryset.filter(active=True).order_by("id")
        if not active.exists():
            self.message_user(
                request, "The selected codes were already inactive.", messages.INFO
            )
            return None
        if not confirmed(request):
            return self._ask_deactivation(request, queryset, active)
        done = []
        for code in active:
            try:
                deactivate_discount_code(code=code, actor=request.user)
            except ApplicationError as error:
                self.message_user(
                    request, f"{code.code}: {error.message}", level=messages.ERROR
                )
            else:
                done.append(code.code)
        if done:
            self.message_user(
                request,
                f"Deactivated {len(done)} code{'s' if len(done) != 1 else ''}: "
                f"{', '.join(done)}.",
                level=messages.SUCCESS,
            )
        return None

    def _ask_deactivation(self, request, queryset, active):
        count = active.count()
        return confirmation_page(
            self,
            request,
            queryset,
            title=f"Deactivate {count} discount code{'s' if count != 1 else ''}",
            says=(
                "Each code stops working at once, online and in the shops, and is "
                "never switched on again: give a new code instead. Orders that used "
                "it keep their price."
            ),
            button="Deactivate these codes",
            count=count,
            columns=["Code", "Value", "Valid", "Used / max", "Campaign"],
            rows=(
                (
                    code.code,
                    self.value_shown(code),
                    self.validity(code),
                    self.uses(code),
                    code.campaign_id or "—",
                )
                for code in active[:SHOWN]
            ),
        )


@admin.register(DiscountRedemption)
class DiscountRedemptionAdmin(ReadOnlyAdmin):
    """Each order's use of a code; a manager sees those of their shops' orders."""

    shop_paths = through("order")
    list_display = ["created_at", "code", "order", "customer", "amount", "released_at"]
    list_select_related = ["code", "order", "customer"]
    list_filter = [("released_at", admin.EmptyFieldListFilter), "created_at"]
    search_fields = ["code__code", "order__number", "customer__email"]
    date_hierarchy = "created_at"
    show_full_result_count = False
