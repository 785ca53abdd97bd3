"""An adjustment's reason says which way the units go: a damage write-off only takes
units away. The service refuses the other way (a field error on the change), and the
staff form shows it under the units."""

import pytest
from django.urls import reverse

from inventory.models import MovementReason, StockMovement
from inventory.services.stock import adjust_stock
from omnistore.core.exceptions import ValidationFailed
from omnistore.staff.once import new_token as once
from tests.factories import stock
from tests.inventory.staff_helpers import HTMX, level

pytestmark = pytest.mark.django_db


def test_the_service_refuses_a_write_off_that_adds_units(shop, variant, associate):
    stock(variant, shop, 5)
    before = StockMovement.objects.count()
    with pytest.raises(ValidationFailed) as refused:
        adjust_stock(
            variant=variant,
            location=shop,
            delta=2,
            reason=MovementReason.DAMAGE,
            note="found two",
            actor=associate,
        )
    assert "only takes units away" in " ".join(refused.value.extra["delta"])
    assert level(variant, shop).on_hand == 5
    assert StockMovement.objects.count() == before


def test_a_write_off_still_removes_and_an_adjustment_goes_either_way(shop, variant):
    stock(variant, shop, 5)
    adjust_stock(
        variant=variant, location=shop, delta=-2, reason=MovementReason.DAMAGE, note="x"
    )
    adjust_stock(
        variant=variant,
        location=shop,
        delta=3,
        reason=MovementReason.ADJUSTMENT,
        note="x",
    )
    adjust_stock(
        variant=variant,
        location=shop,
        delta=-1,
        reason=MovementReason.ADJUSTMENT,
        note="x",
    )
    assert level(variant, shop).on_hand == 5


def test_the_form_shows_the_refusal_under_the_units(staff_client, shop, variant):
    stock(variant, shop, 5)
    response = staff_client.post(
        reverse("staff:stock_adjust"),
        {
            "code": "SHIRT-BLU-M",
            "delta": "2",
            "reason": "damage",
            "note": "found two",
            "once": once(),
            "store": shop.pk,
        },
        **HTMX,
    )
    assert response.status_code == 422
    errors = " ".join(response.context["form"].errors["delta"])
    assert "only takes units away" in errors
    assert "only takes units away" in response.content.decode()
    assert level(variant, shop).on_hand == 5
