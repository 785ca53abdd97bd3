"""Admin pages over the order book cost the same number of queries however many rows
they show: the orders list (each with its customer and the shop that took it, for
headquarters and for a shop's manager) and a gift card's ledger (each movement with
who made it and where)."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from customers.models import Channel
from omnistore.accounts.models import Role
from orders.services.checkout import place_order
from orders.services.giftcards import adjust_gift_card
from orders.services.payments import PaymentRequest
from tests.customers.factories import make_customer
from tests.factories import LocationFactory, UserFactory, VariantFactory, stock
from tests.orders.stored_value_helpers import gift_card

pytestmark = pytest.mark.django_db

ORDERS = reverse("admin:orders_order_changelist")


def queries(client, url) -> int:
    client.get(url)  # the process's first page fills Django's caches
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


@pytest.fixture
def shops():
    return [
        LocationFactory(code="MI01", name="Milano Centro"),
        LocationFactory(code="TO01", name="Torino Roma"),
    ]


@pytest.fixture
def hq():
    return UserFactory(username="boss", role=Role.HQ, is_staff=True, is_superuser=True)


def counter_sales(shops, count: int, tag: str) -> None:
    """``count`` sales at the counters of ``shops`` in turn, each to a customer."""
    shirt = VariantFactory(price="40.00")
    for shop in shops:
        stock(shirt, shop, 50)
    for index in range(count):
        place_order(
            lines=[(shirt, 1)],
            channel=Channel.STORE,
            fulfilment="carry_out",
            placing_location=shops[index % len(shops)],
            payments=[PaymentRequest(method="cash")],
            customer=make_customer(email=f"{tag}{index}@example.com"),
        )


def test_the_orders_list_costs_the_same_for_two_orders_or_twelve(client, shops, hq):
    client.force_login(hq)
    counter_sales(shops, 2, "a")
    two = queries(client, ORDERS)

    counter_sales(shops, 10, "b")
    response = client.get(ORDERS)

    assert len(response.context["cl"].result_list) == 12
    assert "Torino Roma" in response.content.decode()
    assert queries(client, ORDERS) == two


def test_a_shop_managers_orders_list_costs_the_same_for_two_orders_or_twelve(
    client, shops
):
    client.force_login(UserFactory(role=Role.STORE_MANAGER, store=shops[0]))
    counter_sales(shops[:1], 2, "a")
    two = queries(client, ORDERS)

    counter_sales(shops[:1], 10, "b")
    response = client.get(ORDERS)

    assert len(response.context["cl"].result_list) == 12
    assert queries(client, ORDERS) == two


def test_a_gift_cards_page_costs_the_same_for_two_movements_or_twelve(
    client, shops, hq
):
    client.force_login(hq)
    card = gift_card("50.00")
    page = reverse("admin:orders_giftcard_change", args=[card.pk])

    def adjust(times: int) -> None:
        for index in range(times):
            adjust_gift_card(
                card=card,
                amount=Decimal("1.00") if index % 2 else Decimal("-1.00"),
                reason="till count corrected",
                actor=hq,
                location=shops[index % 2],
            )

    adjust(1)  # the issue and one adjustment
    two = queries(client, page)

    adjust(10)
    html = client.get(page).content.decode()

    assert html.count("till count corrected") == 11
    assert queries(client, page) == two
