"""Wishlists, wishlist items and discount redemptions in the admin: a manager lists
those of their shops' customers and orders, in a fixed number of queries."""

from __future__ import annotations

import pytest

from customers.services.wishlists import add_wishlist_item
from omnistore.accounts.models import Role
from tests.customers.factories import make_customer
from tests.factories import LocationFactory, UserFactory, VariantFactory, stock
from tests.orders.discount_helpers import discount_code
from tests.orders.factories import pickup_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def shops():
    return LocationFactory(name="Milano"), LocationFactory(name="Roma")


def buyers(shop, shirt, count: int, tag: str):
    """``count`` customers who bought at ``shop`` with the code, each with a list."""
    for index in range(count):
        customer = make_customer(email=f"{tag}{index}@x.it")
        pickup_order(
            store=shop,
            lines=[(shirt, 1)],
            customer=customer,
            email=customer.email,
            discount_code="SPRING10",
        )
        add_wishlist_item(customer=customer, variant=shirt, channel="web")


@pytest.mark.parametrize("count", [1, 5])
@pytest.mark.parametrize(
    "url",
    [
        "/admin/customers/wishlist/",
        "/admin/customers/wishlistitem/",
        "/admin/orders/discountredemption/",
    ],
)
def test_a_manager_lists_their_shops_rows_in_fixed_queries(
    client, shops, django_assert_max_num_queries, count, url
):
    milano, roma = shops
    shirt = VariantFactory(price="40.00")
    stock(shirt, milano, 20)
    stock(shirt, roma, 20)
    discount_code()
    buyers(milano, shirt, count, "mi")
    buyers(roma, shirt, 2, "rm")
    client.force_login(
        UserFactory(username="marco", role=Role.STORE_MANAGER, store=milano)
    )
    with django_assert_max_num_queries(11):
        response = client.get(url)
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == count
