"""Units typed on the stock forms are read by the staff forms' one rule (``UnitsField``):
ASCII digits only. Digits of another script, a plus sign, a decimal point or an
exponent are form errors, never read as a number; an adjustment alone is signed, by a
minus in front of its digits."""

import pytest
from django.urls import reverse

from inventory.models import StockMovement
from inventory.services.transfers import ship_transfer
from omnistore.staff.once import new_token as once
from tests.factories import stock
from tests.inventory.staff_helpers import HTMX, level, open_transfer

pytestmark = pytest.mark.django_db

NOT_UNITS = ["١٠", "１０", "+5", "5.0", "1e1", "٣", "5 5"]


def sent(staff_client, name, data):
    """``data`` sent with the form as the page draws it (its shop), once."""
    drawn = staff_client.get(reverse(name)).context["form"]
    opened = {"store": drawn["store"].value(), "once": once()}
    return staff_client.post(reverse(name), {**data, **opened}, **HTMX)


@pytest.mark.parametrize("typed", NOT_UNITS)
def test_a_receipt_takes_units_in_digits_only(staff_client, shop, variant, typed):
    stock(variant, shop, 2)
    response = sent(
        staff_client, "staff:stock_receive", {"code": "SHIRT-BLU-M", "quantity": typed}
    )
    assert response.status_code == 422
    assert response.context["form"].errors["quantity"]
    assert level(variant, shop).on_hand == 2


@pytest.mark.parametrize("typed", NOT_UNITS)
def test_a_count_takes_units_in_digits_only(staff_client, shop, variant, typed):
    stock(variant, shop, 2)
    response = sent(
        staff_client, "staff:stock_count", {"code": "SHIRT-BLU-M", "counted": typed}
    )
    assert response.status_code == 422
    assert response.context["form"].errors["counted"]
    assert level(variant, shop).on_hand == 2


@pytest.mark.parametrize("typed", [*NOT_UNITS, "-٣", "--2", "- 2", "−2", "-"])
def test_an_adjustment_takes_signed_units_in_digits_only(
    staff_client, shop, variant, typed
):
    stock(variant, shop, 20)
    response = sent(
        staff_client,
        "staff:stock_adjust",
        {"code": "SHIRT-BLU-M", "delta": typed, "reason": "adjustment", "note": "x"},
    )
    assert response.status_code == 422
    assert response.context["form"].errors["delta"]
    assert level(variant, shop).on_hand == 20


@pytest.mark.parametrize(("typed", "units"), [("3", 23), ("-3", 17), (" -12 ", 8)])
def test_an_adjustment_adds_or_removes_by_its_sign(
    staff_client, shop, variant, typed, units
):
    stock(variant, shop, 20)
    response = sent(
        staff_client,
        "staff:stock_adjust",
        {"code": "SHIRT-BLU-M", "delta": typed, "reason": "adjustment", "note": "x"},
    )
    assert response.status_code == 200
    assert level(variant, shop).on_hand == units


def test_a_receipt_and_a_count_in_digits_still_work(staff_client, shop, variant):
    received = sent(
        staff_client, "staff:stock_receive", {"code": "SHIRT-BLU-M", "quantity": "10"}
    )
    assert received.status_code == 200 and level(variant, shop).on_hand == 10
    counted = sent(
        staff_client, "staff:stock_count", {"code": "SHIRT-BLU-M", "counted": "0"}
    )
    assert counted.status_code == 200 and level(variant, shop).on_hand == 0


@pytest.mark.parametrize("typed", NOT_UNITS)
def test_a_transfer_receipt_takes_units_in_digits_only(
    staff_client, shop, other_shop, variant, typed
):
    stock(variant, other_shop, 20)
    transfer = ship_transfer(transfer=open_transfer(other_shop, shop, [(variant, 12)]))
    response = staff_client.post(
        reverse("staff:transfer_receive", args=[transfer.pk]),
        {f"qty_{variant.pk}": typed, "once": once()},
        **HTMX,
    )
    assert response.status_code == 422
    assert response.context["receive_form"].errors[f"qty_{variant.pk}"]
    assert not StockMovement.objects.filter(location=shop).exists()
