"""The stock screens show an item at the price of the associate's shop: its market's
shelf price in its currency, what the sale there rings it up at. A Swiss shop shows
francs from the Swiss price list, an Italian one the catalogue's euros; an item the
shop's price list leaves out is not priced there. The item page, the code a scan
screen looks up, find by name and the lookup all say the same."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from inventory.models import PriceList, PriceListPrice
from omnistore.accounts.models import Role
from omnistore.staff.auth import SESSION_STORE_KEY
from tests.factories import (
    LocationFactory,
    ProductFactory,
    StaffFactory,
    UserFactory,
    VariantFactory,
    stock,
)
from tests.inventory.staff_helpers import HTMX, login_as

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
def swiss_list():
    return PriceList.objects.get(code="CHF")


@pytest.fixture
def shirt(zurich, milano, swiss_list):
    """59.90 EUR in the catalogue, 62.90 CHF on the Swiss price list."""
    item = VariantFactory(
        sku="WSH-00001-WHT-M",
        barcode="7600000000019",
        product=ProductFactory(name="Linen camp shirt"),
        colour="White",
        size="M",
        price=D("59.90"),
    )
    PriceListPrice.objects.create(price_list=swiss_list, variant=item, price=D("62.90"))
    stock(item, zurich, 3)
    stock(item, milano, 2)
    return item


def desk_at(client, shop):
    return login_as(client, StaffFactory(store=shop))


def item_page(client, item) -> str:
    html = client.get(reverse("staff:stock_variant", args=[item.pk])).content
    return html.decode()


def shown(html: str, testid: str) -> list[str]:
    return re.findall(rf'data-testid="{testid}">([^<]*)<', html)


def find_prices(html: str) -> list[str]:
    """The price on each of find by name's results, between the SKU and the stock."""
    return re.findall(r"</code> · ([^<]*?) · here", html)


def code_price(client, code: str) -> str:
    response = client.get(reverse("staff:stock_code"), {"code": code})
    assert response.status_code == 200
    return response.json()["price"]


def found(client, query: str) -> str:
    response = client.get(
        reverse("staff:stock_find"), {"q": query, "for": "id_code"}, **HTMX
    )
    assert response.status_code == 200
    return response.content.decode()


# --- a Swiss shop ---------------------------------------------------------------------


def test_the_item_page_at_a_swiss_shop_shows_the_franc_price(client, zurich, shirt):
    html = item_page(desk_at(client, zurich), shirt)

    assert shown(html, "variant-price") == ["62.90 CHF"]
    assert "59.90" not in html and "EUR" not in html


def test_a_scanned_code_at_a_swiss_shop_names_the_franc_price(client, zurich, shirt):
    desk = desk_at(client, zurich)

    assert code_price(desk, "WSH-00001-WHT-M") == "62.90 CHF"
    assert code_price(desk, "7600000000019") == "62.90 CHF"


def test_find_by_name_at_a_swiss_shop_lists_franc_prices(client, zurich, shirt):
    html = found(desk_at(client, zurich), "linen camp white M")

    assert find_prices(html) == ["62.90 CHF"]
    assert "59.90" not in html


def test_the_find_page_and_the_lookup_at_a_swiss_shop_list_franc_prices(
    client, zurich, shirt
):
    desk = desk_at(client, zurich)
    page = desk.get(reverse("staff:stock_find"), {"q": "linen camp white"})
    lookup = desk.get(reverse("staff:stock_lookup"), {"q": "linen"}, **HTMX)

    for response in (page, lookup):
        html = response.content.decode()
        assert shown(html, "lookup-price") == ["62.90 CHF"]
        assert "59.90" not in html


def test_hq_sees_the_prices_of_the_shop_chosen_in_the_header(
    client, zurich, milano, shirt
):
    hq = login_as(client, UserFactory(role=Role.HQ))
    session = hq.session
    session[SESSION_STORE_KEY] = zurich.pk
    session.save()

    assert shown(item_page(hq, shirt), "variant-price") == ["62.90 CHF"]
    assert code_price(hq, shirt.sku) == "62.90 CHF"
    assert find_prices(found(hq, "linen camp")) == ["62.90 CHF"]


def test_an_item_the_swiss_price_list_leaves_out_is_not_priced_there(
    client, zurich, shirt
):
    scarf = VariantFactory(
        sku="SCF-01", product=ProductFactory(name="Linen scarf"), price=D("29.00")
    )
    desk = desk_at(client, zurich)

    assert shown(item_page(desk, scarf), "variant-price") == ["not priced in CHF"]
    assert code_price(desk, "SCF-01") == "not priced in CHF"
    assert find_prices(found(desk, "linen scarf")) == ["not priced in CHF"]


# --- an Italian shop ------------------------------------------------------------------


def test_an_italian_shop_shows_the_catalogue_price_in_euros(client, milano, shirt):
    desk = desk_at(client, milano)

    assert shown(item_page(desk, shirt), "variant-price") == ["59.90 EUR"]
    assert code_price(desk, shirt.sku) == "59.90 EUR"
    assert find_prices(found(desk, "linen camp")) == ["59.90 EUR"]
    lookup = desk.get(reverse("staff:stock_lookup"), {"q": "linen"}, **HTMX)
    assert shown(lookup.content.decode(), "lookup-price") == ["59.90 EUR"]


# --- what it costs --------------------------------------------------------------------


@pytest.fixture
def many_shirts(zurich, swiss_list):
    def make(count):
        for index in range(count):
            item = VariantFactory(
                product=ProductFactory(name="Linen trousers"), price=D("79.00")
            )
            PriceListPrice.objects.create(
                price_list=swiss_list, variant=item, price=D(f"{80 + index}.00")
            )
            stock(item, zurich, 1)

    return make


@pytest.mark.parametrize("count", [2, 12])
def test_the_swiss_lookup_reads_its_price_list_once(
    client, zurich, many_shirts, django_assert_max_num_queries, tax_table_kept, count
):
    many_shirts(count)
    desk = desk_at(client, zurich)
    # Session, user, shop; the items; their stock; their pictures; the price list.
    with django_assert_max_num_queries(8):
        response = desk.get(reverse("staff:stock_lookup"), {"q": "linen"})
    assert len(shown(response.content.decode(), "lookup-price")) == count


@pytest.mark.parametrize("count", [2, 12])
def test_swiss_find_by_name_reads_its_price_list_once(
    client, zurich, many_shirts, django_assert_max_num_queries, tax_table_kept, count
):
    many_shirts(count)
    desk = desk_at(client, zurich)
    # Session, user, shop; the items; their stock; the price list.
    with django_assert_max_num_queries(6):
        html = found(desk, "linen trousers")
    assert len(find_prices(html)) == count
    assert all(price.endswith(" CHF") for price in find_prices(html))


def test_the_swiss_item_page_reads_its_price_list_once(
    client, zurich, shirt, django_assert_max_num_queries, tax_table_kept
):
    desk = desk_at(client, zurich)
    # Session, user, shop; the item, its pictures; levels; movements; the grid's
    # items and stock; the price list.
    with django_assert_max_num_queries(10):
        html = item_page(desk, shirt)
    assert shown(html, "variant-price") == ["62.90 CHF"]


def test_an_item_not_priced_here_is_offered_for_no_sale(client, zurich, shirt):
    """The basket would show it unpriced and refuse payment: the item's page says
    why instead of offering to sell or order it."""
    scarf = VariantFactory(
        sku="SCF-01", product=ProductFactory(name="Linen scarf"), price=D("29.00")
    )
    desk = desk_at(client, zurich)

    html = item_page(desk, scarf)
    assert 'data-testid="add-to-sale"' not in html
    assert 'data-testid="order-for-customer"' not in html
    assert "Not priced in CHF at this shop, so not sold here." in html
    priced = item_page(desk, shirt)
    assert 'data-testid="add-to-sale"' in priced
    assert 'data-testid="not-sold-here"' not in priced
