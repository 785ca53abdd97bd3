"""The pickup desk finds a waiting order by the customer's loyalty card, typed in any
spacing, and by the card of a profile merged since, as the customer search does."""

from decimal import Decimal

import pytest
from django.urls import reverse

from customers.services.merge import merge_customers
from tests.customers.factories import make_customer
from tests.factories import LocationFactory, StaffFactory, VariantFactory, stock
from tests.orders.factories import ready_order

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def shop():
    return LocationFactory(
        code="MI01",
        name="Milano Centro",
        latitude=Decimal("45.464200"),
        longitude=Decimal("9.190000"),
    )


@pytest.fixture
def staff(client, shop):
    client.force_login(StaffFactory(store=shop))
    return client


@pytest.fixture
def shirt(shop):
    item = VariantFactory(sku="SHIRT-BLU-M", price="40.00")
    stock(item, shop, 20)
    return item


def desk(staff, query):
    response = staff.get(reverse("staff:pickup_desk"), {"q": query}, **HTMX)
    assert response.status_code == 200
    return [order.number for order in response.context["orders"]]


def spaced(number: str) -> str:
    """A card read out in groups of four, as printed."""
    return " ".join(number[i : i + 4] for i in range(0, len(number), 4))


def test_the_desk_finds_an_order_by_the_customer_s_loyalty_card(staff, shop, shirt):
    pia = make_customer(email="pia@example.com", first_name="Pia", last_name="Moro")
    wanted = ready_order(store=shop, lines=[(shirt, 1)], customer=pia)
    someone = make_customer(email="luca@example.com", first_name="Luca")
    ready_order(store=shop, lines=[(shirt, 1)], customer=someone)

    assert desk(staff, pia.loyalty_number) == [wanted.number]
    assert desk(staff, spaced(pia.loyalty_number)) == [wanted.number]


def test_the_card_of_a_merged_profile_finds_the_survivor_s_orders(staff, shop, shirt):
    shop_profile = make_customer(phone="333 765 4321", first_name="Pia")
    online = make_customer(email="pia@example.com", first_name="Pia")
    before = ready_order(store=shop, lines=[(shirt, 1)], customer=shop_profile)
    merge_customers(survivor=online, other=shop_profile, actor=None)
    after = ready_order(store=shop, lines=[(shirt, 1)], customer=online)

    found = desk(staff, shop_profile.loyalty_number)

    assert sorted(found) == sorted([before.number, after.number])


@pytest.mark.parametrize("count", [1, 6])
def test_a_card_search_costs_what_the_desk_costs(
    staff, shop, shirt, django_assert_max_num_queries, count
):
    pia = make_customer(email="pia@example.com", first_name="Pia")
    for _ in range(count):
        ready_order(store=shop, lines=[(shirt, 1)], customer=pia)
    with django_assert_max_num_queries(6):  # as the desk without a search
        found = desk(staff, pia.loyalty_number)
    assert len(found) == count
