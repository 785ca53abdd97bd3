"""Managers' admin for the catalog and stock.

The catalog and locations are edited here; VAT rates, markets and price lists in
``admin_markets``. Stock is only looked at: levels, the ledger, reservations and
transfers change through ``inventory.services`` (the staff screens and the transfer
actions below), so every change has its ledger row.
"""

import re

from django.contrib import admin, messages
from django.db import models
from django.db.models import F
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from omnistore.accounts.scoping import (
    PartOfParentInline,
    ReadOnlyAdmin,
    ShopScopedAdmin,
    shop_ids,
)
from omnistore.core.admin_fields import CheckedJSONField
from omnistore.core.admin_history import EventHistory, actor_or_system
from omnistore.core.exceptions import ApplicationError

from . import admin_markets  # noqa: F401  (registers the tax and market admins)
from .admin_forms import (
    FIXED_CODES,
    CodeFields,
    JSONObjectField,
    LocationForm,
    VariantFormSet,
    variants_on_record,
)
from .images import image_urls
from .models import (
    Category,
    Location,
    LowStockNotice,
    Product,
    ProductImage,
    Reservation,
    StockLevel,
    StockMovement,
    Transfer,
    TransferEvent,
    TransferLine,
    Variant,
)
from .services.images import thumbnail_images
from .services.transfers import receive_transfer, ship_transfer

TRANSFER_NUMBER = re.compile(r"^[Tt]?0*(\d{1,12})$")


# --- catalog and locations -------------------------------------------------------


class CatalogAdmin(ShopScopedAdmin, SimpleHistoryAdmin):
    """The catalog serves every shop (``shop_paths`` None): managers look, HQ edits,
    and each change is kept in the object's history."""

    formfield_overrides = {models.JSONField: {"form_class": CheckedJSONField}}


class OneAtATime:
    """No bulk delete for rows the stock and the sales hang on (a shop, a variant):
    its confirmation would list every level and movement of a whole selection. One
    is deleted from its own page, where what protects it is named."""

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions


@admin.register(Category)
class CategoryAdmin(CatalogAdmin):
    list_display = ["name", "slug", "parent"]
    list_select_related = ["parent"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["parent"]


class FittedInline(admin.TabularInline):
    """A tabular inline whose inputs are as wide as their values (``WIDTHS``, in em),
    so its rows fit a 1366 px screen."""

    WIDTHS: dict[str, int] = {}

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        width = self.WIDTHS.get(db_field.name)
        if field is not None and width:
            field.widget.attrs["style"] = f"width:{width}em;max-width:{width}em"
        return field


# A variant's attributes are a JSON object (``{}`` when none), wherever it is edited.
VARIANT_FIELDS = {models.JSONField: {"form_class": JSONObjectField}}


class VariantInline(FittedInline):
    """A variant on record shows its SKU and barcode fixed (``VariantFormSet``)."""

    model = Variant
    formset = VariantFormSet
    formfield_overrides = VARIANT_FIELDS
    extra = 0
    fields = ["sku", "barcode", "colour", "size", "price", "weight_grams", "active"]
    show_change_link = True
    WIDTHS = {"sku": 11, "barcode": 9, "colour": 7, "size": 4, "weight_grams": 5}

    def get_queryset(self, request):
        # Each row is titled by its variant, which names the product.
        return super().get_queryset(request).select_related("product")


class ProductImageInline(FittedInline):
    """Pictures of the product, each checked on upload (``validate_product_image``);
    the thumbnails are made when the product is saved."""

    model = ProductImage
    extra = 0
    fields = ["preview", "image", "variant", "alt_text", "position"]
    readonly_fields = ["preview"]
    WIDTHS = {"image": 14, "variant": 16, "alt_text": 16, "position": 4}

    def get_formset(self, request, obj=None, **kwargs):
        self._product = obj
        return super().get_formset(request, obj, **kwargs)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "variant":
            product = getattr(self, "_product", None)
            kwargs["queryset"] = (
                Variant.objects.filter(product=product)
                if product
                else Variant.objects.none()
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description="Preview")
    def preview(self, obj):
        if not obj.pk or not obj.image:
            return "—"
        return format_html(
            '<img src="{}" alt="{}" width="96" height="96" style="object-fit:cover">',
            image_urls(obj.image)["thumb"],
            obj.alt_text,
        )


@admin.register(Product)
class ProductAdmin(CatalogAdmin):
    list_display = ["name", "brand", "category", "tax_class", "active", "created_at"]
    list_filter = ["category", "tax_class", "active", "brand"]
    list_select_related = ["category"]
    search_fields = ["name", "brand", "variants__sku", "variants__barcode"]
    autocomplete_fields = ["category"]
    inlines = [VariantInline, ProductImageInline]

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        if formset.model is ProductImage:
            thumbnail_images(  # a new file only: an alt text changes no picture
                f.instance
                for f in formset.forms
                if f.instance.pk and "image" in f.changed_data
            )


@admin.register(Variant)
class VariantAdmin(OneAtATime, CatalogAdmin):
    list_display = ["sku", "product", "colour", "size", "price", "barcode", "active"]
    list_filter = ["active", "product__category"]
    list_select_related = ["product"]
    search_fields = ["sku", "barcode", "product__name"]
    raw_id_fields = ["product"]
    formfield_overrides = VARIANT_FIELDS

    def get_readonly_fields(self, request, obj=None):
        """Once the stock ledger or a sale names the variant, its SKU and barcode
        stay: a new code is a new variant."""
        fields = super().get_readonly_fields(request, obj)
        if obj is not None and variants_on_record([obj.pk]):
            return [*fields, *FIXED_CODES]
        return fields


@admin.register(Location)
class LocationAdmin(OneAtATime, CodeFields, CatalogAdmin):
    """A shop stays one while a till session is open or pickups wait there
    (``LocationForm``)."""

    shop_paths = ("id",)  # a location is its own shop
    form = LocationForm
    list_display = [
        "code",
        "name",
        "kind",
        "city",
        "sells_in_store",
        "click_and_collect",
        "ships_online_orders",
        "active",
        "country",
        "market",
        "legal_entity",
    ]
    list_select_related = ["market", "legal_entity"]
    list_filter = [
        "kind",
        "country",
        "sells_in_store",
        "click_and_collect",
        "ships_online_orders",
        "active",
    ]
    search_fields = ["code", "name", "city"]


# --- stock: looked at, changed only by services ----------------------------------


class LowStockFilter(admin.SimpleListFilter):
    title = "stock"
    parameter_name = "stock"

    def lookups(self, request, model_admin):
        return [
            ("low", "Low (available ≤ threshold)"),
            ("out", "Out (nothing available)"),
            ("ok", "Above threshold"),
        ]

    def queryset(self, request, queryset):
        available = F("on_hand") - F("reserved")
        value = self.value()
        if value == "low":
            return queryset.alias(units=available).filter(
                units__lte=F("low_stock_threshold")
            )
        if value == "out":
            return queryset.alias(units=available).filter(units__lte=0)
        if value == "ok":
            return queryset.alias(units=available).filter(
                units__gt=F("low_stock_threshold")
            )
        return queryset


@admin.register(StockLevel)
class StockLevelAdmin(ShopScopedAdmin, SimpleHistoryAdmin):
    """Only the safety stock and the low-stock threshold are settings a manager may
    change; on hand and reserved move only with a ledger row, through the services."""

    shop_paths = ("location",)
    list_display = [
        "sku",
        "item",
        "location",
        "on_hand",
        "reserved",
        "available_units",
        "safety_stock",
        "low_stock_threshold",
        "updated_at",
    ]
    list_filter = [LowStockFilter, "location"]
    list_select_related = ["variant__product", "location"]
    search_fields = [
        "variant__sku",
        "variant__barcode",
        "location__code",
        "location__name",
    ]
    fields = [
        "variant",
        "location",
        "on_hand",
        "reserved",
        "available_units",
        "safety_stock",
        "low_stock_threshold",
        "updated_at",
    ]
    readonly_fields = [
        "variant",
        "location",
        "on_hand",
        "reserved",
        "available_units",
        "updated_at",
    ]
    show_full_result_count = False

    def get_queryset(self, request):
        return (
            super().get_queryset(request).annotate(units=F("on_hand") - F("reserved"))
        )

    @admin.display(description="SKU", ordering="variant__sku")
    def sku(self, obj):
        return obj.variant.sku

    @admin.display(description="item")
    def item(self, obj):
        return obj.variant.name

    @admin.display(description="available", ordering="units")
    def available_units(self, obj):
        units = obj.available
        if units <= 0:
            return format_html('<strong style="color:#b91c1c">{}</strong>', units)
        if units <= obj.low_stock_threshold:
            return format_html('<strong style="color:#b45309">{}</strong>', units)
        return units

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        # Write the two settings only: a full save would put back the on-hand and
        # reserved read when the page was opened, undoing sales made since.
        obj.save(update_fields=["safety_stock", "low_stock_threshold", "updated_at"])


@admin.register(StockMovement)
class StockMovementAdmin(ReadOnlyAdmin):
    shop_paths = ("location",)
    list_display = [
        "created_at",
        "sku",
        "location",
        "delta_on_hand",
        "delta_reserved",
        "reason",
        "reference",
        "actor",
        "note",
    ]
    list_filter = ["reason", "location"]
    list_select_related = ["variant", "location", "actor"]
    search_fields = ["variant__sku", "reference_id", "note"]
    date_hierarchy = "created_at"
    show_full_result_count = False

    @admin.display(description="SKU", ordering="variant__sku")
    def sku(self, obj):
        return obj.variant.sku

    @admin.display(description="reference")
    def reference(self, obj):
        return f"{obj.reference_type} {obj.reference_id}".strip()


@admin.register(LowStockNotice)
class LowStockNoticeAdmin(ReadOnlyAdmin):
    """Levels that fell low, as their shops were told (the staff's Low stock page)."""

    shop_paths = ("level__location",)
    list_display = [
        "noticed_at",
        "sku",
        "location",
        "available",
        "threshold",
        "seen_at",
        "seen_by",
        "resolved_at",
    ]
    list_filter = [
        ("resolved_at", admin.EmptyFieldListFilter),
        ("seen_at", admin.EmptyFieldListFilter),
        "level__location",
    ]
    list_select_related = ["level__variant", "level__location", "seen_by"]
    search_fields = ["level__variant__sku"]
    date_hierarchy = "noticed_at"
    show_full_result_count = False

    @admin.display(description="SKU", ordering="level__variant__sku")
    def sku(self, obj):
        return obj.level.variant.sku

    @admin.display(description="location", ordering="level__location__code")
    def location(self, obj):
        return obj.level.location


@admin.register(Reservation)
class ReservationAdmin(ReadOnlyAdmin):
    shop_paths = ("location",)
    list_display = [
        "id",
        "sku",
        "location",
        "quantity",
        "status",
        "reference_type",
        "reference_id",
        "expires_at",
        "created_at",
    ]
    list_filter = ["status", "reference_type", "location"]
    list_select_related = ["variant", "location"]
    search_fields = ["variant__sku", "reference_id"]
    show_full_result_count = False

    @admin.display(description="SKU", ordering="variant__sku")
    def sku(self, obj):
        return obj.variant.sku


class TransferLineInline(PartOfParentInline):
    model = TransferLine
    fields = ["variant", "quantity", "quantity_shipped", "quantity_received"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("variant__product")


class TransferEventInline(PartOfParentInline):
    model = TransferEvent
    fields = [
        "created_at",
        "get_from_status_display",
        "get_to_status_display",
        "actor",
        "note",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


@admin.register(Transfer)
class TransferAdmin(EventHistory, ReadOnlyAdmin):
    """Transfers are requested from the staff screens; here managers follow them and
    can ship or receive in bulk, through the same services. A shop's manager sees
    what leaves or reaches their shops, and on its history page each of its steps."""

    shop_paths = ("source", "destination")
    history_heading = "What happened to the transfer"
    history_columns = (
        ("When", "created_at"),
        ("From", "get_from_status_display"),
        ("To", "get_to_status_display"),
        ("Who", actor_or_system),
        ("Why", "note"),
    )

    list_display = [
        "__str__",
        "source",
        "destination",
        "status_shown",
        "requested_by",
        "created_at",
        "shipped_at",
        "received_at",
    ]
    list_filter = ["status", "source", "destination"]
    list_select_related = ["source", "destination", "requested_by"]
    search_fields = ["source__code", "destination__code", "reference_id"]
    date_hierarchy = "created_at"
    readonly_fields = ["status_shown"]
    inlines = [TransferLineInline, TransferEventInline]
    actions = ["ship", "receive_everything"]

    def get_queryset(self, request):
        """With the lines, which say what one closed short misses (one query for the
        whole list)."""
        return super().get_queryset(request).prefetch_related("lines")

    def get_fields(self, request, obj=None):
        """The status as the staff pages say it, in its place among the fields."""
        fields = super().get_fields(request, obj)
        return [
            "status_shown" if name == "status" else name
            for name in fields
            if name != "status_shown"
        ]

    @admin.display(description="Status", ordering="status")
    def status_shown(self, transfer):
        """One closed short says so, with the units missing (``status_label``)."""
        return transfer.status_label

    def history_events(self, transfer):
        return transfer.events.select_related("actor")

    def get_search_results(self, request, queryset, search_term):
        """Also find a transfer by its number as printed, e.g. ``T000042``."""
        results, duplicates = super().get_search_results(request, queryset, search_term)
        number = TRANSFER_NUMBER.match(search_term.strip())
        if number:
            results |= queryset.filter(pk=int(number.group(1)))
        return results, duplicates

    def has_move_permission(self, request):
        return request.user.has_perm("inventory.change_transfer")

    def _run(self, request, queryset, service, done: str, end: str):
        """``end``: the side a shop must hold to act (ships from its own shops,
        receives into them); HQ acts on every transfer."""
        ids = shop_ids(request.user)
        chosen = queryset.count()
        if ids is not None:
            queryset = queryset.filter(**{f"{end}__in": ids})
        elsewhere = chosen - queryset.count()
        if elsewhere:
            side = "leave from" if end == "source" else "arrive at"
            self.message_user(
                request,
                f"{elsewhere} of the selected transfers do not {side} your shops: "
                "left as they were.",
                messages.WARNING,
            )
        moved = 0
        for transfer in queryset.order_by("pk"):
            try:
                service(transfer, request.user)
            except ApplicationError as error:
                self.message_user(
                    request, f"{transfer}: {error.message}", messages.ERROR
                )
            else:
                moved += 1
        if moved:
            plural = "" if moved == 1 else "s"
            self.message_user(
                request, f"{moved} transfer{plural} {done}.", messages.SUCCESS
            )

    @admin.action(description="Ship the selected transfers", permissions=["move"])
    def ship(self, request, queryset):
        self._run(
            request,
            queryset,
            lambda t, user: ship_transfer(
                transfer=t, actor=user, note="shipped from admin"
            ),
            "shipped",
            "source",
        )

    @admin.action(
        description="Receive everything outstanding on the selected transfers",
        permissions=["move"],
    )
    def receive_everything(self, request, queryset):
        self._run(
            request,
            queryset,
            lambda t, user: receive_transfer(
                transfer=t, quantities=None, actor=user, note="received from admin"
            ),
            "received",
            "destination",
        )
