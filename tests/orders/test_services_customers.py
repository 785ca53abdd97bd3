"""Merging and erasing customers carries and redacts what the orders app holds."""

import pytest

from customers.services.erasure import erase_customer
from customers.services.matching import match_customer
from customers.services.merge import merge_customers
from orders.models import Cart, CartStatus
from orders.services.carts import add_cart_lines, ensure_customer_cart
from orders.services.fulfilment import mark_picked, ship_order
from tests.orders.factories import delivery_order, stocked, warehouse

pytestmark = pytest.mark.django_db


def test_merging_customers_folds_the_losers_open_cart_into_the_survivors():
    depot = warehouse()
    a = stocked(depot, 9)
    b = stocked(depot, 9)
    survivor = match_customer(email="one@example.com", channel="web")
    other = match_customer(email="two@example.com", channel="store")
    add_cart_lines(cart=ensure_customer_cart(customer=survivor), lines=[(a.pk, 1)])
    add_cart_lines(
        cart=ensure_customer_cart(customer=other), lines=[(a.pk, 2), (b.pk, 1)]
    )
    merge_customers(survivor=survivor, other=other, actor=None)
    cart = Cart.objects.get(customer=survivor, status=CartStatus.OPEN)
    assert {line.variant_id: line.quantity for line in cart.lines.all()} == {
        a.pk: 3,
        b.pk: 1,
    }
    assert Cart.objects.filter(status=CartStatus.OPEN).count() == 1


def test_merged_customers_orders_move_to_the_survivor():
    depot = warehouse()
    survivor = match_customer(email="one@example.com", channel="web")
    other = match_customer(email="two@example.com", channel="store")
    order = delivery_order(lines=[(stocked(depot, 2), 1)], email="two@example.com")
    assert order.customer == other
    merge_customers(survivor=survivor, other=other, actor=None)
    order.refresh_from_db()
    assert order.customer == survivor


def test_erasing_a_customer_keeps_the_order_but_drops_contact_data():
    depot = warehouse()
    order = delivery_order(lines=[(stocked(depot, 2), 1)], email="gone@example.com")
    mark_picked(order=order)
    ship_order(order=order)  # on its way: nothing left to send the person
    erase_customer(customer=order.customer)
    order.refresh_from_db()
    assert order.email == "" and order.phone == ""
    assert order.fulfilments.get().address == {}
    assert order.total > 0
