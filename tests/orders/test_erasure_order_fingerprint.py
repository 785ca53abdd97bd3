"""An erased customer's orders lose the digest of the checkout that made them (its
email, phone and address in it): the order's Idempotency-Key no longer answers it
again, and a request sent with the key is refused, as the key's replay says."""

import pytest
from rest_framework.test import APIClient

from customers.services.erasure import erase_customer
from orders.models import Order
from orders.services.fulfilment import cancel_order
from tests.orders.factories import shop, stocked
from tests.orders.test_api_checkout import cart_with, checkout

pytestmark = pytest.mark.django_db


def test_an_erased_customer_s_order_keeps_no_digest_of_their_checkout():
    store = shop()
    item = stocked(store, 5)
    client = APIClient()
    cart_with(client, (item, 1))
    placed = checkout(client, key="erase-me-1", fulfilment="pickup", store=store.pk)
    assert placed.status_code == 201, placed.json()
    order = Order.objects.get()
    assert order.idempotency_fingerprint
    cancel_order(order=order, reason="Customer changed their mind")

    erase_customer(
        customer=order.customer, reason="Ticket GDPR-9", forfeit_balance=True
    )

    order.refresh_from_db()
    assert order.idempotency_fingerprint == ""
    again = checkout(client, key="erase-me-1", fulfilment="pickup", store=store.pk)
    assert again.status_code == 409, again.json()
    assert Order.objects.count() == 1
