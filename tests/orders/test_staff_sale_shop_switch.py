"""A counter sale is priced in its shop's market: while its basket holds items (in
progress or parked), the shop chosen in the header stays, so a price set in francs
never becomes the same number in euros."""

from decimal import Decimal

import pytest
from django.urls import reverse

from inventory.models import PriceList, PriceListPrice
from omnistore.accounts.models import Role
from orders.models import CartLine
from tests.factories import UserFactory
from tests.orders.factories import shop, stocked

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
SALE = "/staff/orders/sale/"


@pytest.fixture
def zurich():
    return shop(code="ZH01", name="Zürich Bahnhofstrasse", country="CH", city="Zürich")


@pytest.fixture
def milano():
    return shop(code="MI01", name="Milano Duomo", country="IT", city="Milano")


@pytest.fixture
def coat(zurich, milano):
    """189.00 EUR in the catalogue, 198.45 CHF on the Swiss price list."""
    item = stocked(zurich, 10, price="189.00", sku="WKN-BLK-L")
    PriceListPrice.objects.create(
        price_list=PriceList.objects.get(code="CHF"),
        variant=item,
        price=Decimal("198.45"),
    )
    return item


@pytest.fixture
def hq(client, zurich, milano):
    client.force_login(UserFactory(role=Role.HQ, username="hq"))
    return client


def switch(client, location):
    response = client.post(
        reverse("staff:switch_store"), {"store": location.pk, "next": SALE}, follow=True
    )
    return [str(m) for m in response.context["messages"]]


def acting_for(client) -> int:
    return client.session["staff_store_id"]


def ring_up_at_a_counter_price(client, coat):
    client.post(reverse("staff:sale_add"), {"code": coat.sku}, **HTMX)
    line = CartLine.objects.get()
    client.post(
        reverse("staff:sale_line_price", args=[line.pk]),
        {"price": "190.00", "reason": "scuff"},
        **HTMX,
    )
    line.refresh_from_db()
    assert line.counter_price == Decimal("190.00")


def test_a_priced_basket_keeps_the_shop_until_it_is_cleared(hq, zurich, milano, coat):
    assert switch(hq, zurich) == []
    ring_up_at_a_counter_price(hq, coat)

    refused = switch(hq, milano)

    assert refused == [
        "Finish or clear the sale at Zürich Bahnhofstrasse first: its prices are "
        "that shop's."
    ]
    assert acting_for(hq) == zurich.pk
    page = hq.get(SALE).content.decode()
    assert 'data-testid="basket-total">190.00 CHF' in page

    assert switch(hq, zurich) == []  # the same shop again changes nothing
    hq.post(reverse("staff:sale_clear"), follow=True)
    assert switch(hq, milano) == []
    assert acting_for(hq) == milano.pk


def test_a_parked_sale_keeps_the_shop_too(hq, zurich, milano, coat):
    switch(hq, zurich)
    ring_up_at_a_counter_price(hq, coat)
    hq.post(reverse("staff:sale_park"), follow=True)

    refused = switch(hq, milano)

    assert refused == [
        "Finish or clear the parked sales at Zürich Bahnhofstrasse first: their "
        "prices are that shop's."
    ]
    assert acting_for(hq) == zurich.pk
    hq.post(reverse("staff:sale_resume", args=[0]), follow=True)
    hq.post(reverse("staff:sale_clear"), follow=True)
    assert switch(hq, milano) == []
    assert acting_for(hq) == milano.pk


def test_a_sale_with_no_items_yet_does_not_keep_the_shop(hq, zurich, milano):
    switch(hq, zurich)
    hq.post(
        reverse("staff:sale_customer"),
        {"kind": "email", "value": "ada@example.com", "create": "1"},
        **HTMX,
    )
    assert switch(hq, milano) == []
    assert acting_for(hq) == milano.pk
