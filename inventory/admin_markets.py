"""HQ's admin for VAT rates, markets, price lists and legal entities.

Sales are priced and taxed from these rows, and orders keep what they were sold at:
a rate is changed by a new row from its date, a market that countries or shops sell
in and a price a market sells at are not deleted, a seller that issued receipts or
invoices keeps what they print, and a currency or a country is a real code. Each
change to a market, a price list, a price or a seller is kept on its history page."""

from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.text import capfirst
from simple_history.admin import SimpleHistoryAdmin

from omnistore.accounts.scoping import ShopScopedAdmin

from .admin_forms import CodeFields
from .admin_price_csv import export_prices, import_prices_page
from .models import (
    LegalEntity,
    Location,
    Market,
    MarketCountry,
    PriceList,
    PriceListPrice,
    TaxRate,
)


class KeptWhileInUse:
    """Mixed into a model admin: a row others depend on is refused deletion the way
    Django refuses a protected one. The delete page (and the bulk delete) lists what
    uses it and deletes nothing."""

    def uses(self, objs) -> list[str]:
        """What depends on ``objs``, one line each; empty when they may go."""
        raise NotImplementedError

    def get_deleted_objects(self, objs, request):
        deleted, counts, perms_needed, protected = super().get_deleted_objects(
            objs, request
        )
        return deleted, counts, perms_needed, [*protected, *self.uses(objs)]


class VersionedAdmin(ShopScopedAdmin, SimpleHistoryAdmin):
    """Rows of the whole chain (no shop), edited by HQ: who changed what, each field
    before and after, is on the object's history page."""


@admin.register(TaxRate)
class TaxRateAdmin(CodeFields, admin.ModelAdmin):
    """A new rate is a new row from its date: orders keep the rate they were sold
    at, so a row is added ahead of a change rather than edited on the day. A saved
    row's note alone may be edited."""

    list_display = ["country", "tax_class", "rate", "valid_from", "note"]
    list_filter = ["country", "tax_class"]
    ordering = ["country", "tax_class", "-valid_from"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return ("country", "tax_class", "rate", "valid_from")

    def has_delete_permission(self, request, obj=None):
        # Orders keep the rate they were sold at; a change is a new row from a date.
        return False


class MarketCountryFormSet(forms.BaseInlineFormSet):
    def clean(self):
        """A country its shops sell in through it stays in the market: removed or
        renamed, those shops would leave the market unseen."""
        super().clean()
        for form in self.initial_forms:
            country = form.initial.get("country")
            leaving = self._should_delete_form(form) or "country" in form.changed_data
            shops = Location.objects.filter(market__isnull=True, country=country)
            if leaving and shops.exists():
                names = ", ".join(shop.name for shop in shops.order_by("name")[:5])
                raise forms.ValidationError(
                    f"{country} stays: {names} sell in this market through their "
                    "country. Give those shops a market of their own first."
                )


class MarketCountryInline(CodeFields, admin.TabularInline):
    model = MarketCountry
    formset = MarketCountryFormSet
    extra = 0


class MarketForm(forms.ModelForm):
    def clean(self):
        """A market sells in the currency of its prices: its price list's, or, at
        the catalogue's own prices, the home currency."""
        cleaned = super().clean()
        currency = cleaned.get("currency")
        if not currency or "price_list" not in cleaned:
            return cleaned
        price_list = cleaned["price_list"]
        if price_list is not None and currency != price_list.currency:
            self.add_error(
                "currency",
                f"The price list {price_list.code} is in {price_list.currency}.",
            )
        home = settings.OMNISTORE_CURRENCY
        if price_list is None and currency != home:
            self.add_error(
                "currency",
                f"Without a price list a market sells at the catalogue's prices, "
                f"in {home}.",
            )
        return cleaned


@admin.register(Market)
class MarketAdmin(KeptWhileInUse, CodeFields, VersionedAdmin):
    """Shops take the market of their country unless they name one: a market with
    countries, or shops, is in use and is not deleted (move its countries first)."""

    form = MarketForm
    list_display = [
        "code",
        "name",
        "currency",
        "price_list",
        "legal_entity",
        "delivery_fee",
        "free_delivery_from",
    ]
    list_select_related = ["price_list", "legal_entity"]
    inlines = [MarketCountryInline]

    def uses(self, objs) -> list[str]:
        # Shops naming the market are protected by their foreign key already.
        countries = MarketCountry.objects.filter(market__in=objs).select_related(
            "market"
        )
        codes = {country.country: country.market for country in countries}
        shops = Location.objects.filter(market__isnull=True, country__in=codes)
        return [
            f"Country: {code}, sold to in {market}" for code, market in codes.items()
        ] + [
            f"{capfirst(Location._meta.verbose_name)}: {shop}, in {codes[shop.country]} "
            f"through its country {shop.country}"
            for shop in shops.order_by("name")
        ]


class PriceListForm(forms.ModelForm):
    def clean_currency(self):
        """Prices are amounts in the list's currency, and its markets sell in it: a
        list that has prices, or is sold at, keeps its currency (a new currency is a
        new list)."""
        currency = self.cleaned_data["currency"]
        price_list = self.instance
        if price_list.pk is None or currency == price_list.currency:
            return currency
        if price_list.prices.exists():
            raise forms.ValidationError(
                f"This list has prices in {price_list.currency}: make a new price "
                f"list for {currency}."
            )
        if price_list.markets.exists():
            raise forms.ValidationError(
                f"Markets sell at this list in {price_list.currency}: make a new "
                f"price list for {currency}."
            )
        return currency


def prices_url(price_list: PriceList) -> str:
    """The page of the list's prices."""
    url = reverse("admin:inventory_pricelistprice_changelist")
    return f"{url}?price_list__id__exact={price_list.pk}"


@admin.register(PriceList)
class PriceListAdmin(CodeFields, VersionedAdmin):
    """A price list holds a price per variant, up to a hundred thousand: they are
    listed, searched and edited on their own page (``PriceListPriceAdmin``), linked
    here, and exported and imported whole as CSV from the list's page (who may see
    the prices exports them; who may add and change them imports)."""

    form = PriceListForm
    list_display = ["code", "name", "currency", "prices_link"]
    readonly_fields = ["prices_link"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(price_count=Count("prices"))

    @admin.display(description="prices")
    def prices_link(self, price_list):
        if price_list.pk is None:
            return "—"
        count = getattr(price_list, "price_count", None)
        if count is None:
            count = price_list.prices.count()
        return format_html(
            '<a href="{}">{} price{} →</a>',
            prices_url(price_list),
            count,
            "" if count == 1 else "s",
        )

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/prices.csv",
                view(self.export_prices_view),
                name="inventory_pricelist_export_prices",
            ),
            path(
                "<path:object_id>/import-prices/",
                view(self.import_prices_view),
                name="inventory_pricelist_import_prices",
            ),
            *super().get_urls(),
        ]

    def may_export_prices(self, request) -> bool:
        prices = self.admin_site.get_model_admin(PriceListPrice)
        return self.has_view_permission(request) and prices.has_view_permission(request)

    def may_import_prices(self, request) -> bool:
        prices = self.admin_site.get_model_admin(PriceListPrice)
        return (
            self.has_view_permission(request)
            and prices.has_add_permission(request)
            and prices.has_change_permission(request)
        )

    def export_prices_view(self, request, object_id):
        if not self.may_export_prices(request):
            raise PermissionDenied
        return export_prices(self.get_object(request, unquote(object_id)))

    def import_prices_view(self, request, object_id):
        if not self.may_import_prices(request):
            raise PermissionDenied
        price_list = self.get_object(request, unquote(object_id))
        return import_prices_page(self, request, price_list, prices_url(price_list))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        context = {
            "may_export_prices": self.may_export_prices(request),
            "may_import_prices": self.may_import_prices(request),
            **(extra_context or {}),
        }
        return super().change_view(request, object_id, form_url, context)


@admin.register(PriceListPrice)
class PriceListPriceAdmin(KeptWhileInUse, VersionedAdmin):
    """A price a market sells at is changed, not deleted: deleting it would take
    the item off sale there. A list no market sells at may lose prices (or be
    deleted whole, as ``Market.price_list`` allows)."""

    list_display = ["sku", "product", "price_list", "price", "currency"]
    list_editable = ["price"]
    list_filter = ["price_list"]
    list_select_related = ["price_list", "variant__product"]
    search_fields = ["variant__sku", "variant__product__name"]
    raw_id_fields = ["variant"]
    list_per_page = 100

    def get_readonly_fields(self, request, obj=None):
        """A saved price stays the price of its list and variant: moved, it would
        take the item off sale in the markets selling at the list. A price for
        another list or variant is a new row."""
        fields = super().get_readonly_fields(request, obj)
        if obj is None or obj.pk is None:
            return fields
        return [*fields, "price_list", "variant"]

    def uses(self, objs) -> list[str]:
        lists = {price.price_list_id for price in objs}
        markets = Market.objects.filter(price_list__in=lists).select_related(
            "price_list"
        )
        return [
            f"Market: {market} sells at {market.price_list.name}"
            for market in markets.order_by("code")
        ]

    @admin.display(description="SKU", ordering="variant__sku")
    def sku(self, price):
        return price.variant.sku

    @admin.display(description="product", ordering="variant__product__name")
    def product(self, price):
        return price.variant.product.name

    @admin.display(description="currency")
    def currency(self, price):
        return price.price_list.currency


SELLER_AS_PRINTED = (
    "Receipts or invoices were issued in this entity's name: its name, address, "
    "country and VAT number stay as they were printed. For a new name or address, "
    "create a new legal entity and point the market (or the shop) to it."
)


def issued_documents(entity: LegalEntity) -> bool:
    """Whether sales name ``entity`` as their seller (orders, invoices). They belong
    to the apps above inventory, so they are found by the foreign keys that point at
    the entity from outside it, a sales model added later included."""
    for relation in LegalEntity._meta.get_fields(include_hidden=True):
        model = relation.related_model
        if not relation.one_to_many or model._meta.app_label == "inventory":
            continue
        if model._base_manager.filter(**{relation.field.name: entity}).exists():
            return True
    return False


@admin.register(LegalEntity)
class LegalEntityAdmin(CodeFields, VersionedAdmin):
    """What receipts and invoices print of their seller is read from this row: once
    it has issued any, it is not edited (a new entity is created instead)."""

    list_display = ["name", "country", "vat_number", "address"]
    search_fields = ["name", "vat_number"]
    fields = ["name", "address", "country", "vat_number"]

    def _as_printed(self, obj) -> bool:
        """Asked several times for one page: read once per object."""
        if obj is None or obj.pk is None:
            return False
        if not hasattr(obj, "_issued_documents"):
            obj._issued_documents = issued_documents(obj)
        return obj._issued_documents

    def get_readonly_fields(self, request, obj=None):
        if self._as_printed(obj):
            return self.fields
        return super().get_readonly_fields(request, obj)

    def get_fieldsets(self, request, obj=None):
        if self._as_printed(obj):
            return [(None, {"fields": self.fields, "description": SELLER_AS_PRINTED})]
        return super().get_fieldsets(request, obj)

    def has_change_permission(self, request, obj=None):
        """Kept as printed: read, never saved (a POST to its page is refused)."""
        if self._as_printed(obj):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        # Receipts and invoices name the seller: an entity is never deleted.
        return False
