"""Fields and forms of the inventory admin: codes typed in by HQ (a country, a
currency) and a variant's attributes are checked at their field, and what sales have
been recorded under (a variant's SKU and barcode) is shown, not edited.

A value the database would refuse, or one every sale would then read wrongly (a price
list in ``-1``, a shop in country ``ZZ``), is a form error beside its field."""

from __future__ import annotations

import math

import phonenumbers
from django import forms
from django.conf import settings
from django.db import models

from omnistore.core.admin_fields import CheckedJSONField

from .models import LocationKind, StockMovement, Variant
from .signals import shop_uses

# The currencies of ISO 4217 that money is kept in (funds, precious metals and the
# testing and "no currency" codes left out).
# fmt: off
ISO_4217 = frozenset([
    "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN",
    "BAM", "BBD", "BDT", "BGN", "BHD", "BIF", "BMD", "BND", "BOB", "BRL",
    "BSD", "BTN", "BWP", "BYN", "BZD", "CAD", "CDF", "CHF", "CLP", "CNY",
    "COP", "CRC", "CUP", "CVE", "CZK", "DJF", "DKK", "DOP", "DZD", "EGP",
    "ERN", "ETB", "EUR", "FJD", "FKP", "GBP", "GEL", "GHS", "GIP", "GMD",
    "GNF", "GTQ", "GYD", "HKD", "HNL", "HTG", "HUF", "IDR", "ILS", "INR",
    "IQD", "IRR", "ISK", "JMD", "JOD", "JPY", "KES", "KGS", "KHR", "KMF",
    "KPW", "KRW", "KWD", "KYD", "KZT", "LAK", "LBP", "LKR", "LRD", "LSL",
    "LYD", "MAD", "MDL", "MGA", "MKD", "MMK", "MNT", "MOP", "MRU", "MUR",
    "MVR", "MWK", "MXN", "MYR", "MZN", "NAD", "NGN", "NIO", "NOK", "NPR",
    "NZD", "OMR", "PAB", "PEN", "PGK", "PHP", "PKR", "PLN", "PYG", "QAR",
    "RON", "RSD", "RUB", "RWF", "SAR", "SBD", "SCR", "SDG", "SEK", "SGD",
    "SHP", "SLE", "SLL", "SOS", "SRD", "SSP", "STN", "SVC", "SYP", "SZL",
    "THB", "TJS", "TMT", "TND", "TOP", "TRY", "TTD", "TWD", "TZS", "UAH",
    "UGX", "USD", "UYU", "UZS", "VED", "VES", "VND", "VUV", "WST", "XAF",
    "XCD", "XCG", "XOF", "XPF", "YER", "ZAR", "ZMW", "ZWG",
])
# fmt: on


class CurrencyCodeField(forms.CharField):
    """A currency as its ISO 4217 code, kept in upper case. The home currency
    (``OMNISTORE_CURRENCY``) is always one."""

    def to_python(self, value):
        value = super().to_python(value)
        return value.upper() if value else value

    def validate(self, value):
        super().validate(value)
        if value and value not in ISO_4217 | {settings.OMNISTORE_CURRENCY}:
            raise forms.ValidationError(
                "Enter a currency as its ISO 4217 code, e.g. EUR or CHF.",
                code="invalid_currency",
            )


class CountryCodeField(forms.CharField):
    """A country as its ISO 3166-1 two-letter code, kept in upper case: one of the
    countries and territories the project reads phone numbers in (python-phonenumbers'
    regions, the codes of ``OMNISTORE_DEFAULT_REGION``). Rates, markets and shops are
    matched on it exactly, so ``it`` is stored as ``IT``."""

    def to_python(self, value):
        value = super().to_python(value)
        return value.upper() if value else value

    def validate(self, value):
        super().validate(value)
        if value and value not in phonenumbers.SUPPORTED_REGIONS:
            raise forms.ValidationError(
                "Enter a country as its ISO 3166-1 two-letter code, e.g. IT or CH.",
                code="invalid_country",
            )


CODE_FIELDS = {"country": CountryCodeField, "currency": CurrencyCodeField}


class CodeFields:
    """Mixed into a model admin or inline: its ``country`` and ``currency`` text
    fields take only real codes."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        form_class = CODE_FIELDS.get(db_field.name)
        if form_class is not None and isinstance(db_field, models.CharField):
            kwargs["form_class"] = form_class
        return super().formfield_for_dbfield(db_field, request, **kwargs)


def _finite(data) -> bool:
    if isinstance(data, float):
        return math.isfinite(data)
    if isinstance(data, dict):
        return all(_finite(value) for value in data.values())
    if isinstance(data, list):
        return all(_finite(value) for value in data)
    return True


class JSONObjectField(CheckedJSONField):
    """A JSON object, ``{}`` when left empty. ``null``, a list or a bare value is
    refused, and so are ``NaN`` and ``Infinity`` (or a number too large for a float),
    which Python reads but JSON and the database do not."""

    def to_python(self, value):
        if self.disabled:
            return value
        if value in self.empty_values:
            return {}
        data = super().to_python(value)
        if not isinstance(data, dict):
            raise forms.ValidationError(
                'Enter a JSON object, e.g. {"fit": "slim"}; empty for none.',
                code="not_an_object",
            )
        if not _finite(data):
            raise forms.ValidationError(
                "NaN and Infinity are not JSON numbers.", code="not_finite"
            )
        return data

    def bound_data(self, data, initial):
        """A refused value is shown again as typed."""
        value = super().bound_data(data, initial)
        if isinstance(value, forms.fields.InvalidJSONInput) or not data:
            return value
        if not isinstance(value, dict) or not _finite(value):
            return forms.fields.InvalidJSONInput(data)
        return value


# --- a variant's codes, once on record ---------------------------------------------

FIXED_CODES = ("sku", "barcode")
FIXED_HELP = (
    "Fixed: the stock ledger or sales already name this variant by it. A new code "
    "is a new variant."
)


def _keeping_relations():
    """The rows of other apps that keep a variant and forbid deleting it (an order
    line, a wishlist item): found by walking the relations, so inventory names no
    app above it and a model added later counts too."""
    for relation in Variant._meta.get_fields(include_hidden=True):
        if (
            relation.one_to_many
            and relation.auto_created
            and relation.on_delete is models.PROTECT
            and relation.related_model._meta.app_label != Variant._meta.app_label
        ):
            yield relation


def variants_on_record(ids) -> set[int]:
    """Which of the variants ``ids`` are on record: moved in the stock ledger, or
    kept by another app's rows (sold on an order line). Receipts, labels, exports and
    order lines carry their SKU and barcode, so these no longer change."""
    ids = {pk for pk in ids if pk is not None}
    if not ids:
        return set()
    found = set(
        StockMovement.objects.filter(variant_id__in=ids).values_list(
            "variant_id", flat=True
        )
    )
    for relation in _keeping_relations():
        rest = ids - found
        if not rest:
            break
        column = relation.field.attname
        found |= set(
            relation.related_model._default_manager.filter(
                **{f"{column}__in": rest}
            ).values_list(column, flat=True)
        )
    return found


def fix_codes(form) -> None:
    """Show the variant's codes without taking them from the post."""
    for name in FIXED_CODES:
        field = form.fields.get(name)
        if field is not None:
            field.disabled = True
            field.help_text = FIXED_HELP


class VariantFormSet(forms.BaseInlineFormSet):
    """The product page's variants: a row on record shows its codes fixed (one query
    per kind of record for the whole page, not per row)."""

    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        if form.instance.pk in self._on_record:
            fix_codes(form)
        return form

    @property
    def _on_record(self) -> set[int]:
        if not hasattr(self, "_on_record_ids"):
            ids = [variant.pk for variant in self.get_queryset()]
            self._on_record_ids = variants_on_record(ids)
        return self._on_record_ids


# --- a shop, while it serves as one ------------------------------------------------


class LocationForm(forms.ModelForm):
    """A shop with a till session open or orders still to be collected there (ready,
    or on their way to it) stays a shop, its counter open and the location in use:
    made a warehouse, its counter closed or taken out of use, the drawer could not be
    counted and closed and the pickups not handed over (the staff's desks answer only
    at a shop). What keeps it in use is asked of the apps above
    (``inventory.signals.shop_uses``)."""

    # Each field a shop is left by, with the value it has while it serves as one.
    LEAVING = {
        "kind": LocationKind.SHOP,
        "sells_in_store": True,
        "active": True,
    }

    def clean(self):
        cleaned = super().clean()
        location = self.instance
        if location.pk is None:
            return cleaned
        leaving = [
            name
            for name, serving in self.LEAVING.items()
            if name in cleaned
            and getattr(location, name) == serving
            and cleaned[name] != serving
        ]
        if not leaving:
            return cleaned
        reasons = shop_uses(location)
        if reasons:
            message = f"{location.name} still serves as a shop: {'; '.join(reasons)}."
            for name in leaving:
                self.add_error(name, forms.ValidationError(message, code="shop_in_use"))
        return cleaned
