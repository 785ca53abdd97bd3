"""The wishlists page shows each item at the associate's shop's price: the price of
the shop's market in its currency, what "Sell" then puts in the basket. A Swiss
shop shows francs from the Swiss price list, an Italian one the catalogue's euros;
the "was" badge compares only prices of the same market."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from customers.services.wishlists import add_wishlist_item, ensure_default_wishlist
from inventory.models import PriceList, PriceListPrice, Variant
from omnistore.core.channels import Channel
from tests.customers.factories import make_customer
from tests.factories import LocationFactory, StaffFactory, VariantFactory, stock

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def zurich():
    return LocationFactory(
        code="ZH01",
        name="Zürich Bahnhofstrasse",
        country="CH",
        city="Zürich",
        latitude=D("47.3730"),
        longitude=D("8.5390"),
    )


@pytest.fixture
def milano():
    return LocationFactory(code="MI01", name="Milano Duomo", country="IT")


@pytest.fixture
def customer():
    return make_customer(email="chiara@example.com", first_name="Chiara")


@pytest.fixture
def knit(zurich, milano):
    """189.00 EUR in the catalogue, 198.45 CHF on the Swiss price list."""
    item = VariantFactory(sku="WKN-06-BLK-L", price=D("189.00"))
    PriceListPrice.objects.create(
        price_list=PriceList.objects.get(code="CHF"), variant=item, price=D("198.45")
    )
    stock(item, zurich, 3)
    stock(item, milano, 3)
    return item


def signed_in(client, shop):
    client.force_login(StaffFactory(store=shop))
    return client


def page_url(customer) -> str:
    return reverse("staff:customer_wishlists", args=[customer.pk])


def row(html: str, sku: str) -> str:
    return re.search(rf'data-sku="{sku}".*?</tr>', html, re.S).group(0)


def price_shown(html: str, sku: str) -> str:
    return re.search(r'data-testid="shop-price">([^<]*)<', row(html, sku)).group(1)


def sell(client, html: str, sku: str) -> str:
    """Press Sell on the item's row; the sale screen it leads to."""
    forms = re.findall(r'<form method="post" action="([^"]+)">(.*?)</form>', html, re.S)
    action, body = next(f for f in forms if f'data-testid="sell-{sku}"' in f[1])
    fields = dict(re.findall(r'name="(\w+)" value="([^"]*)"', body))
    response = client.post(action, fields)
    assert response.status_code == 302
    return client.get(response["Location"]).content.decode()


def basket_total(sale: str) -> str:
    return re.search(r'data-testid="basket-total">([^<]*)<', sale).group(1).strip()


def test_a_swiss_shop_shows_the_franc_price_the_basket_charges(
    client, zurich, customer, knit
):
    add_wishlist_item(customer=customer, variant=knit, channel=Channel.WEB)
    desk = signed_in(client, zurich)

    html = desk.get(page_url(customer)).content.decode()

    assert price_shown(html, knit.sku) == "198.45 CHF"
    assert "189.00" not in row(html, knit.sku)
    assert basket_total(sell(desk, html, knit.sku)) == "198.45 CHF"


def test_an_italian_shop_shows_the_euro_price_the_basket_charges(
    client, milano, customer, knit
):
    add_wishlist_item(customer=customer, variant=knit, channel=Channel.WEB)
    desk = signed_in(client, milano)

    html = desk.get(page_url(customer)).content.decode()

    assert price_shown(html, knit.sku) == "189.00 EUR"
    assert basket_total(sell(desk, html, knit.sku)) == "189.00 EUR"


def test_the_price_drop_badge_compares_prices_of_the_same_market(
    client, zurich, milano, customer, knit
):
    """Added at 210.00 EUR, now 189.00 EUR: a drop in euros, which the Swiss
    shop's francs (198.45, never 210.00 CHF) cannot be measured against."""
    add_wishlist_item(customer=customer, variant=knit, channel=Channel.WEB)
    Variant.objects.filter(pk=knit.pk).update(price=D("189.00"))
    ensure_default_wishlist(customer=customer).items.update(price_at_add=D("210.00"))

    italian = signed_in(client, milano).get(page_url(customer)).content.decode()
    assert 'data-testid="was-price">was 210.00<' in row(italian, knit.sku)

    swiss = signed_in(client, zurich).get(page_url(customer)).content.decode()
    assert price_shown(swiss, knit.sku) == "198.45 CHF"
    assert "was-price" not in row(swiss, knit.sku)


def test_an_item_missing_from_the_shops_price_list_shows_no_price(
    client, zurich, customer
):
    item = VariantFactory(sku="SCF-01", price=D("59.00"))
    add_wishlist_item(customer=customer, variant=item, channel=Channel.WEB)

    html = signed_in(client, zurich).get(page_url(customer)).content.decode()

    assert price_shown(html, "SCF-01") == "not priced in CHF"
    assert "59.00" not in row(html, "SCF-01")


def test_an_item_the_shop_does_not_price_is_not_offered_for_sale(
    client, zurich, customer, knit
):
    """The sale would take no payment for it: no Sell, where the priced item has
    one."""
    scarf = VariantFactory(sku="SCF-01", price=D("59.00"))
    stock(scarf, zurich, 3)
    for item in (knit, scarf):
        add_wishlist_item(customer=customer, variant=item, channel=Channel.WEB)

    html = signed_in(client, zurich).get(page_url(customer)).content.decode()

    assert price_shown(html, "SCF-01") == "not priced in CHF"
    assert 'data-testid="sell-SCF-01"' not in row(html, "SCF-01")
    assert f'data-testid="sell-{knit.sku}"' in row(html, knit.sku)


@pytest.mark.parametrize("count", [2, 14])
def test_the_swiss_page_costs_one_query_more_for_its_price_list(
    client, zurich, customer, django_assert_max_num_queries, tax_table_kept, count
):
    swiss = PriceList.objects.get(code="CHF")
    for index in range(count):
        item = VariantFactory(sku=f"WKN-{index:03}")
        PriceListPrice.objects.create(price_list=swiss, variant=item, price=D("9.95"))
        add_wishlist_item(customer=customer, variant=item, channel=Channel.WEB)
    desk = signed_in(client, zurich)
    # session, user, shop, customer, lists, items, their pictures, nearby shops,
    # levels and the shop's price list
    with django_assert_max_num_queries(10):
        html = desk.get(page_url(customer)).content.decode()
    assert html.count('data-testid="shop-price">9.95 CHF<') == count
