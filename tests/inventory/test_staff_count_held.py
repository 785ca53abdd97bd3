"""A count replaces every unit the shop holds of an item, those held for customers'
orders included (picked, set aside for a pickup): the Count screen asks for them and
says how many are held, and a count below them is refused saying what to do."""

import pytest
from django.urls import reverse

from inventory.services.ledger import StockRequest
from inventory.services.reservations import reserve_stock
from omnistore.staff.once import new_token as once
from tests.factories import stock
from tests.inventory.staff_helpers import HTMX, level

pytestmark = pytest.mark.django_db

HELD = (
    "of <code>SHIRT-BLU-M</code> are reserved here, held for customers' orders "
    "(picked, or set aside for a pickup) or transfers not shipped yet: count them "
    "with the rest."
)


@pytest.fixture
def held_for_orders(shop, variant):
    stock(variant, shop, 7)
    reserve_stock(
        requests=[StockRequest(variant.pk, shop.pk, 2)],
        reference_type="order",
        reference_id="41",
    )


def test_the_count_screen_asks_for_every_unit_held_here(staff_client):
    page = staff_client.get(reverse("staff:stock_count")).content.decode()
    assert "physically on the shelf" not in page
    assert "Units counted on the shelf" not in page
    assert "Units counted, including those held for customers" in page
    assert "those picked or set aside for customers" in page


def test_the_item_chosen_shows_its_units_held_for_orders_here(
    staff_client, shop, variant, held_for_orders
):
    page = staff_client.get(reverse("staff:stock_count"), {"code": variant.sku})
    assert f"<strong>2 units</strong> {HELD}" in page.content.decode()
    # What the form asks once the scanned item moves on to the units.
    asked = staff_client.get(
        reverse("staff:stock_count_held"),
        {"code": "8000000000017", "store": page.context["form"]["store"].value()},
        **HTMX,
    )
    assert asked.status_code == 200
    assert f"<strong>2 units</strong> {HELD}" in asked.content.decode()


def test_an_item_with_nothing_held_says_so(staff_client, shop, variant):
    stock(variant, shop, 3)
    asked = staff_client.get(
        reverse("staff:stock_count_held"),
        {"code": variant.sku, "store": shop.pk},
        **HTMX,
    )
    assert "No units of <code>SHIRT-BLU-M</code> are reserved here" in (
        asked.content.decode()
    )


def test_the_units_held_at_another_shop_are_not_shown(
    staff_client, shop, other_shop, variant, held_for_orders
):
    def ask(location):
        return staff_client.get(
            reverse("staff:stock_count_held"),
            {"code": variant.sku, "store": location.pk},
            **HTMX,
        )

    assert ask(shop).status_code == 200
    assert ask(other_shop).status_code == 404  # not one of the associate's


def test_a_count_shows_the_units_held_among_those_counted(
    staff_client, shop, variant, held_for_orders
):
    counted = staff_client.post(
        reverse("staff:stock_count"),
        {"code": variant.sku, "counted": "7", "once": once(), "store": shop.pk},
        **HTMX,
    )
    assert counted.status_code == 200
    html = counted.content.decode()
    assert "7 on hand, 2 reserved, 5 available" in html
    assert f"<strong>2 units</strong> {HELD}" in html


def test_a_count_below_the_units_held_says_who_gives_them_up(
    staff_client, shop, variant, held_for_orders
):
    refused = staff_client.post(
        reverse("staff:stock_count"),
        {"code": variant.sku, "counted": "1", "once": once(), "store": shop.pk},
        **HTMX,
    )
    assert refused.status_code == 422
    form = refused.context["form"]
    assert form.errors["counted"] == ["At least 2: the units reserved here."]
    (message,) = form.non_field_errors()
    assert message.startswith(
        "2 units of SHIRT-BLU-M are reserved here, held for customers' orders"
    )
    assert "count them with the rest" in message
    assert (
        "If units set aside for an order not picked yet, or for an order's transfer "
        "not shipped yet, are really gone, say so on the order's or the transfer's page (Not on "
        "our shelf): they are written off and asked again from another location. "
        "Others go with what holds them, cancelled; then count again." in message
    )
    assert level(variant, shop).on_hand == 7
