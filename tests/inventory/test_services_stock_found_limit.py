"""Units an associate adds by adjustment ("found") have a ceiling: at most
``OMNISTORE_STOCK_ADJUST_UP_MAX`` units of one item at one location in 24 hours,
counting the earlier ones, so a shop that ships online cannot sell phantom stock.
Bigger corrections are a manager's own move (or a delivery received, or a count)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from inventory.models import MovementReason, StockMovement
from inventory.services.stock import adjust_stock
from omnistore.accounts.models import Role
from omnistore.core.exceptions import ValidationFailed
from omnistore.staff.once import new_token as once
from tests.factories import StaffFactory, stock
from tests.inventory.staff_helpers import HTMX, level

pytestmark = pytest.mark.django_db


def found(variant, location, units, actor):
    return adjust_stock(
        variant=variant, location=location, delta=units, note="found", actor=actor
    )


def test_an_associate_adds_at_most_the_limit_in_one_go(shop, associate, variant):
    stock(variant, shop, 2)
    with pytest.raises(ValidationFailed) as refused:
        found(variant, shop, 100_000, associate)
    assert refused.value.extra == {"delta": ["At most 20 units can be added."]}
    assert "manager" in refused.value.message
    assert level_of(variant, shop) == 2
    assert found(variant, shop, 20, associate).on_hand == 22


def test_the_limit_counts_the_units_added_in_the_last_24_hours(
    shop, associate, variant, second_variant
):
    found(variant, shop, 15, associate)
    with pytest.raises(ValidationFailed) as refused:
        found(variant, shop, 6, associate)
    assert refused.value.extra == {"delta": ["At most 5 units can be added."]}
    found(variant, shop, 5, associate)
    with pytest.raises(ValidationFailed):
        found(variant, shop, 1, StaffFactory(store=shop))  # any associate's count
    found(second_variant, shop, 20, associate)  # another item has its own
    adjust_stock(
        variant=variant,
        location=shop,
        delta=-3,
        reason=MovementReason.DAMAGE,
        note="torn",
        actor=associate,
    )  # removing is never limited, and does not make room
    with pytest.raises(ValidationFailed):
        found(variant, shop, 1, associate)
    StockMovement.objects.filter(variant=variant).update(
        created_at=timezone.now() - timedelta(hours=25)
    )
    found(variant, shop, 20, associate)


def test_a_manager_books_more_and_the_limit_is_a_setting(
    settings, shop, associate, variant
):
    manager = StaffFactory(store=shop, role=Role.STORE_MANAGER, username="mgr")
    assert found(variant, shop, 500, manager).on_hand == 500
    settings.OMNISTORE_STOCK_ADJUST_UP_MAX = 2
    with pytest.raises(ValidationFailed):
        found(variant, shop, 3, associate)
    settings.OMNISTORE_STOCK_ADJUST_UP_MAX = None
    found(variant, shop, 1000, associate)


def test_a_managers_found_units_leave_the_associates_allowance_whole(
    shop, other_shop, associate, variant
):
    """The ceiling is the associates': units a manager of the shop found, or a move
    with no one behind it, do not use it up. A manager of another shop only is
    counted as an associate here."""
    manager = StaffFactory(store=shop, role=Role.STORE_MANAGER, username="mgr")
    found(variant, shop, 30, manager)
    found(variant, shop, 5, None)
    assert found(variant, shop, 15, associate).on_hand == 50
    elsewhere = StaffFactory(store=other_shop, role=Role.STORE_MANAGER, username="m2")
    with pytest.raises(ValidationFailed) as refused:
        found(variant, shop, 6, elsewhere)
    assert refused.value.extra == {"delta": ["At most 5 units can be added."]}
    assert "(15 added already)" in refused.value.message
    found(variant, shop, 5, elsewhere)
    with pytest.raises(ValidationFailed):
        found(variant, shop, 1, associate)


def test_the_adjust_screen_refuses_too_many_units_with_a_field_error(
    staff_client, shop, variant
):
    stock(variant, shop, 5)
    sent = {
        "code": "SHIRT-BLU-M",
        "delta": "100000",
        "reason": "adjustment",
        "note": "found in the back",
        "once": once(),
        "store": shop.pk,
    }
    refused = staff_client.post(reverse("staff:stock_adjust"), sent, **HTMX)
    assert refused.status_code == 422
    assert "At most 20 units can be added." in refused.context["form"].errors["delta"]
    assert level(variant, shop).on_hand == 5
    again = staff_client.post(reverse("staff:stock_adjust"), sent, **HTMX)
    assert again.status_code == 422
    assert level(variant, shop).on_hand == 5


def level_of(variant, location) -> int:
    return level(variant, location).on_hand
