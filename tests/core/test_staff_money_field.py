"""The staff forms' one money field reads an amount by the same rule as a gift card's
amount (``omnistore.core.digits.is_amount``): digits, a point, at most two
decimals."""

from decimal import Decimal

import pytest
from django import forms

from omnistore.core.digits import is_amount
from omnistore.staff.fields import MoneyField, UnitsField


class Till(forms.Form):
    amount = MoneyField(required=False)
    units = UnitsField(required=False)


@pytest.mark.parametrize(
    ("typed", "read"),
    [("12.50", Decimal("12.50")), (" 20 ", Decimal("20")), ("0.01", Decimal("0.01"))],
)
def test_digits_and_a_point_are_an_amount(typed, read):
    form = Till({"amount": typed})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["amount"] == read


@pytest.mark.parametrize(
    "typed",
    ["1e5", "1E2", "+10", "-1", "١٠", "１０", "10,50", "NaN", "Infinity", "1.234"],
)
def test_anything_else_is_not_an_amount(typed):
    form = Till({"amount": typed})
    assert not form.is_valid()
    assert form.errors["amount"]


@pytest.mark.parametrize("typed", ["1e2", "+3", "٣", "３", "2.0"])
def test_units_are_ascii_digits(typed):
    form = Till({"units": typed})
    assert not form.is_valid()
    assert Till({"units": "3"}).is_valid()


def test_the_rule_itself():
    assert is_amount("25.00") and is_amount("5") and is_amount(Decimal("5.00"))
    assert not any(is_amount(t) for t in ("", "1e1", "٣", "+1", " ", "1.2.3"))
