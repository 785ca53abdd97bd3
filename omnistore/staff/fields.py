"""The form fields of what staff type as numbers: an amount of money and a count of
units. Django's ``DecimalField`` reads "1e5" as 100000 and "１０" as 10, and
``IntegerField`` reads "٣" as 3: here the text is checked by ``omnistore.core.digits``
first (the rule a gift card's amount follows too), so every staff form reads a number
the way the associate sees it or refuses it."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError

from omnistore.core.digits import is_amount, is_digits

DECIMAL = {"inputmode": "decimal", "step": "0.01", "min": "0.01"}


class MoneyField(forms.DecimalField):
    """An amount in the shop's currency: above zero, at most two decimals, in digits
    (no exponent, sign or other script)."""

    default_error_messages = {
        "invalid": "Enter an amount in digits, such as 12.50.",
        "min_value": "Enter an amount above zero.",
        "max_decimal_places": "Use at most two decimals.",
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", Decimal("0.01"))
        kwargs.setdefault("max_digits", 10)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("widget", forms.NumberInput(attrs=dict(DECIMAL)))
        super().__init__(**kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        text = value if isinstance(value, Decimal) else str(value).strip()
        if not is_amount(text):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(text)


class UnitsField(forms.IntegerField):
    """A whole number of units (notes in the drawer, items): ASCII digits only."""

    default_error_messages = {"invalid": "Enter whole units in digits."}

    def to_python(self, value):
        if value in self.empty_values:
            return None
        text = str(value).strip()
        if not is_digits(text):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(text)
