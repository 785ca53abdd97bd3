"""A line no one location holds is split over several: what the storefront shows as
available online can be bought. Each part is held where it lies, its line carrying
its share of the discount and the VAT, to the cent."""

from decimal import Decimal

import pytest
from django.db.models import Sum

from inventory.models import Reservation, StockLevel
from inventory.selectors import ledger_discrepancies
from omnistore.core.exceptions import InsufficientStock
from orders.models import Order, OrderLine
from tests.factories import stock
from tests.orders.discount_helpers import discount_code
from tests.orders.factories import (
    delivery_order,
    pickup_order,
    shop,
    stocked,
    warehouse,
)

pytestmark = pytest.mark.django_db


def held(variant, location) -> tuple[int, int]:
    level = StockLevel.objects.get(variant=variant, location=location)
    return level.on_hand, level.reserved


def test_a_delivery_no_one_location_can_fill_is_split_with_its_discount_and_vat():
    depot = warehouse()
    other = shop(ships_online_orders=True)
    coat = stocked(depot, 4, price="33.33")
    stock(coat, other, 5)
    discount_code("TEN", "percentage", "10")

    order = delivery_order(lines=[(coat, 7)], discount_code="TEN")

    lines = sorted(
        OrderLine.objects.filter(order=order), key=lambda line: -line.quantity
    )
    assert [(line.quantity, line.fulfilment.location_id) for line in lines] == [
        (4, depot.pk),
        (3, other.pk),
    ]
    assert held(coat, depot) == (4, 4) and held(coat, other) == (5, 3)
    assert order.subtotal == Decimal("233.31")
    assert order.discount_total == Decimal("23.33")
    assert [line.discount for line in lines] == [Decimal("13.33"), Decimal("10.00")]
    assert sum(line.line_total for line in lines) == order.total == Decimal("209.98")
    for line in lines:
        assert line.net + line.tax == line.line_total
        assert line.tax_rate == Decimal("22.00")
    totals = order.tax_totals.aggregate(net=Sum("net"), tax=Sum("tax"))
    assert sum(line.tax for line in lines) == totals["tax"] == order.tax_total
    assert sum(line.net for line in lines) == totals["net"] == order.net_total
    assert ledger_discrepancies() == []


def test_a_pickup_takes_what_the_shop_has_and_the_rest_by_transfer():
    store = shop()
    depot = warehouse()
    scarf = stocked(store, 3)
    stock(scarf, depot, 4)

    order = pickup_order(store=store, lines=[(scarf, 5)])

    parts = {
        f.location_id: (
            f.transfer is not None,
            [line.quantity for line in f.lines.all()],
        )
        for f in order.fulfilments.all()
    }
    assert parts == {store.pk: (False, [3]), depot.pk: (True, [2])}
    assert held(scarf, store) == (3, 3) and held(scarf, depot) == (4, 2)


def test_more_than_every_location_together_has_is_refused_with_what_they_have():
    depot = warehouse()
    other = shop(ships_online_orders=True)
    coat = stocked(depot, 4)
    stock(coat, other, 5)

    with pytest.raises(InsufficientStock) as refused:
        delivery_order(lines=[(coat, 10)])

    (line,) = refused.value.extra["lines"]
    assert (line["requested"], line["available"]) == (10, 9)
    assert not Order.objects.exists() and not Reservation.objects.exists()
    assert held(coat, depot) == (4, 0) and held(coat, other) == (5, 0)
