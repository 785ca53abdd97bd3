"""A refunded return takes back the points its goods earned: all of them when every
item comes back, half when half the goods' value does, whatever else the order paid
for (a delivery fee, gift cards sold with it) and whatever parts of it were cancelled
before they left."""

from decimal import Decimal

import pytest

from customers.models import Customer
from inventory.markets import forget_tax_table
from inventory.models import Market
from omnistore.accounts.models import Role
from orders.models import Order, PaymentMethod
from orders.services.checkout import LineRequest, place_order
from orders.services.fulfilment import cancel_order, mark_picked, ship_order
from orders.services.giftcard_sales import prepare_card_sale
from orders.services.payments import PaymentRequest
from orders.services.refunds import return_at_counter
from orders.services.returns import ReturnLineRequest
from orders.services.staff_sale import StaffSale
from tests.approvals.helpers import make_approver
from tests.customers.factories import make_customer
from tests.factories import StaffFactory
from tests.orders.factories import deliver_outbox, delivery_order, shop, stocked
from tests.orders.factories import warehouse as depot
from tests.orders.returns_helpers import shopper
from tests.orders.test_split_delivery_services import split_order, split_shops

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]


@pytest.fixture
def store():
    return shop(code="TO01", name="Torino Centro")


@pytest.fixture
def manager(store):
    """Refunds above the associates' limit need a manager: this one approves their
    own."""
    return make_approver(StaffFactory(store=store, role=Role.STORE_MANAGER))


@pytest.fixture
def priced_delivery():
    """The EU market charges 4.90 for delivery, free from 100.00 of goods."""
    Market.objects.filter(code="EU").update(
        delivery_fee=Decimal("4.90"), free_delivery_from=Decimal("100.00")
    )
    forget_tax_table()
    yield
    forget_tax_table()


def give_back(order, store, actor, *lines):
    """A counter return of ``(order line, units)``, refunded to the payments."""
    return return_at_counter(
        order=order.number,
        lines=[ReturnLineRequest(line.pk, units, "too_small") for line, units in lines],
        location=store,
        actor=actor,
    )


def balance(customer) -> int:
    return Customer.objects.get(pk=customer.pk).points_balance


def shipped(order, location):
    staff = StaffFactory(store=location)
    mark_picked(order=order, actor=staff, location=location)
    return ship_order(order=order, actor=staff, location=location)


def test_a_delivered_order_given_back_in_halves_takes_back_half_then_the_rest(
    priced_delivery, store, manager
):
    user, customer = shopper()
    source = depot()
    shirt = stocked(source, 2, price="40.00")
    order = delivery_order(lines=[(shirt, 2)], user=user)
    deliver_outbox()
    order = shipped(order, source)
    order.refresh_from_db()
    assert (order.total, order.delivery_fee) == (Decimal("84.90"), Decimal("4.90"))
    assert order.loyalty_points == 80  # the goods earn, the delivery does not
    line = order.lines.get()

    first = give_back(order, store, manager, (line, 1))
    assert (first.refund_total, first.points_reversed) == (Decimal("40.00"), 40)

    second = give_back(order, store, manager, (line, 1))
    assert second.points_reversed == 40
    assert balance(customer) == 0


def test_goods_sold_with_a_gift_card_take_back_all_they_earned(store, manager):
    shirt = stocked(store, 2, price="59.90")
    pia = make_customer(phone="+393331234567", first_name="Pia")
    order = place_order(
        lines=[LineRequest(shirt, 1)],
        channel="store",
        fulfilment="carry_out",
        placing_location=store,
        staff=manager,
        customer=pia,
        payments=[PaymentRequest(method=PaymentMethod.CARD_IN_STORE)],
        staff_sale=StaffSale(
            gift_cards=[
                prepare_card_sale(
                    number="6012 0000 1111 2222", pin="4321", amount="100"
                )
            ]
        ),
    )
    deliver_outbox()
    order.refresh_from_db()
    assert (order.total, order.loyalty_points) == (Decimal("159.90"), 59)

    ret = give_back(order, store, manager, (order.lines.get(), 1))

    assert (ret.refund_total, ret.points_reversed) == (Decimal("59.90"), 59)
    assert balance(pia) == 0


def test_what_left_of_a_split_delivery_takes_back_the_points_it_still_holds(
    store, manager
):
    """Milano's parcel (a shirt and a coat, 240.00) left; Roma's and Napoli's parts
    were cancelled, their points with them. The points left stand on what left:
    the shirt takes back its share of them, the coat the rest."""
    split = split_shops()
    user, customer = shopper()
    order = split_order(split, user=user)
    deliver_outbox()
    order = shipped(order, split.milano)
    cancel_order(
        order=order, actor=StaffFactory(store=split.milano), reason="Out of stock"
    )
    order = Order.objects.get(pk=order.pk)
    held = order.loyalty_points
    assert held > 0 and balance(customer) == held
    shirt, coat = (
        order.lines.get(fulfilment__location=split.milano, variant=variant)
        for variant in (split.shirt, split.coat)
    )
    assert (shirt.line_total, coat.line_total) == (Decimal("40.00"), Decimal("200.00"))

    first = give_back(order, store, manager, (shirt, 1))
    assert first.points_reversed == held * 40 // 240

    second = give_back(order, store, manager, (coat, 1))
    assert first.points_reversed + second.points_reversed == held
    assert balance(customer) == 0
