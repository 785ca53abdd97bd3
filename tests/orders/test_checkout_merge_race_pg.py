"""Real threads, real connections: an order placed while its buyer's profile is
being merged into another one lands on the survivor."""

import time

import pytest
from django.db import transaction

from customers.services.merge import merge_customers
from orders.models import Order
from tests.concurrency import run_parallel
from tests.customers.factories import make_customer
from tests.factories import StaffFactory
from tests.orders.factories import pickup_order, shop, stocked

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
HELD = 1.0  # how long the merge's transaction stays open after merging


def test_an_order_placed_during_a_merge_follows_to_the_survivor():
    store = shop(code="MI01")
    item = stocked(store, 10, price="20.00")
    survivor = make_customer(phone="+393331234501", first_name="Pia")
    merged = make_customer(phone="+393331234502", first_name="Pia")
    manager = StaffFactory(store=store)

    def merge():
        with transaction.atomic():
            merge_customers(survivor=survivor, other=merged, actor=manager)
            time.sleep(HELD)  # the checkout arrives meanwhile

    def buy():
        time.sleep(HELD / 4)  # once the merge holds both profiles
        return pickup_order(store=store, lines=[(item, 1)], customer=merged)

    _, order = run_parallel([merge, buy])

    assert isinstance(order, Order), order
    assert Order.objects.get(pk=order.pk).customer_id == survivor.pk
    assert not Order.objects.filter(customer=merged).exists()
