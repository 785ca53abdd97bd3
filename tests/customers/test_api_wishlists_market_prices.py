"""Storefront wishlists answer each item's price in the market of the list's owner:
that of their preferred shop, in its currency, as the shared page and its email give
it. A Zürich customer's list is in francs at the Swiss price list, also when read by
its link; an item the market does not sell has no price there. The variant keeps the
catalogue's price in the home currency, as the products endpoints give it."""

from decimal import Decimal

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from customers.services.profiles import update_profile
from customers.services.wishlists import add_wishlist_item, ensure_default_wishlist
from inventory.models import Variant
from omnistore.core.channels import Channel
from tests.customers.factories import CustomerUserFactory
from tests.factories import LocationFactory, VariantFactory
from tests.orders.factories import in_francs

pytestmark = pytest.mark.django_db

D = Decimal
LIST_URL = reverse("customers-api:wishlist-list")


@pytest.fixture
def zurich():
    return LocationFactory(code="ZH01", name="Zürich Bahnhofstrasse", country="CH")


@pytest.fixture
def milano():
    return LocationFactory(code="MI01", name="Milano Duomo", country="IT")


def customer_at(shop, first_name: str):
    user = CustomerUserFactory(first_name=first_name)
    update_profile(customer=user.customer_profile, preferred_store=shop)
    return user


def signed_in(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def knit():
    """189.00 EUR in the catalogue, 198.45 CHF on the Swiss price list."""
    return in_francs(
        VariantFactory(sku="WKN-06-BLK-L", price=D("189.00")), price="198.45"
    )


@pytest.fixture
def scarf():
    """In the catalogue only: the Swiss market does not sell it."""
    return VariantFactory(sku="SCF-01", price=D("59.00"))


def items_by_sku(wishlist: dict) -> dict[str, dict]:
    return {item["variant"]["sku"]: item for item in wishlist["items"]}


def test_a_zurich_customers_list_answers_in_francs_at_the_swiss_price_list(
    zurich, knit, scarf
):
    vreni = customer_at(zurich, "Vreni")
    for variant in (knit, scarf):
        add_wishlist_item(
            customer=vreni.customer_profile, variant=variant, channel=Channel.WEB
        )
    client = signed_in(vreni)

    (listed,) = client.get(LIST_URL).json()["results"]
    detail = client.get(
        reverse("customers-api:wishlist-detail", args=[listed["id"]])
    ).json()

    for wishlist in (listed, detail):
        items = items_by_sku(wishlist)
        priced, unsold = items["WKN-06-BLK-L"], items["SCF-01"]
        assert (priced["price"], priced["currency"]) == ("198.45", "CHF")
        assert priced["was_price"] is None
        # not on the Swiss price list: no price in francs, nor the catalogue's euros
        assert (unsold["price"], unsold["currency"]) == (None, "CHF")
        assert unsold["was_price"] is None
        # the variant still says what the catalogue asks, and in which currency
        assert (priced["variant"]["price"], priced["variant"]["currency"]) == (
            "189.00",
            "EUR",
        )


def test_an_item_added_in_zurich_answers_in_francs(zurich, knit):
    vreni = customer_at(zurich, "Vreni")
    wishlist = ensure_default_wishlist(customer=vreni.customer_profile)

    response = signed_in(vreni).post(
        reverse("customers-api:wishlist-items", args=[wishlist.pk]),
        {"variant": knit.pk},
        format="json",
    )

    assert response.status_code == 201
    item = response.json()
    assert (item["price"], item["currency"]) == ("198.45", "CHF")


def test_a_customer_of_the_catalogues_market_sees_euros_and_a_drop(milano, knit):
    """Milano sells at the catalogue's prices: the item's price is the variant's,
    in euros, and a price lower than when it was added says what it was."""
    chiara = customer_at(milano, "Chiara")
    add_wishlist_item(
        customer=chiara.customer_profile, variant=knit, channel=Channel.WEB
    )
    client = signed_in(chiara)

    ((item,),) = [w["items"] for w in client.get(LIST_URL).json()["results"]]
    assert (item["price"], item["currency"], item["was_price"]) == (
        "189.00",
        "EUR",
        None,
    )

    Variant.objects.filter(pk=knit.pk).update(price=D("159.00"))
    ((item,),) = [w["items"] for w in client.get(LIST_URL).json()["results"]]
    assert (item["price"], item["currency"], item["was_price"]) == (
        "159.00",
        "EUR",
        "189.00",
    )
    assert item["price_at_add"] == "189.00"


def test_a_shared_list_answers_in_its_owners_market_not_the_readers(
    zurich, milano, knit, scarf
):
    """A Milanese friend holding a Zürich customer's link reads her francs."""
    vreni = customer_at(zurich, "Vreni")
    for variant in (knit, scarf):
        add_wishlist_item(
            customer=vreni.customer_profile, variant=variant, channel=Channel.WEB
        )
    wishlist = ensure_default_wishlist(customer=vreni.customer_profile)
    url = reverse("customers-api:wishlist-shared", args=[wishlist.share_token])

    for reader in (APIClient(), signed_in(customer_at(milano, "Chiara"))):
        response = reader.get(url)
        assert response.status_code == 200
        items = items_by_sku(response.json())
        assert (
            items["WKN-06-BLK-L"]["price"],
            items["WKN-06-BLK-L"]["currency"],
        ) == ("198.45", "CHF")
        assert (items["SCF-01"]["price"], items["SCF-01"]["currency"]) == (
            None,
            "CHF",
        )


def test_the_schema_says_which_price_is_which(api_client):
    schemas = api_client.get("/api/schema/", {"format": "json"}).json()["components"][
        "schemas"
    ]
    for name in ("WishlistItem", "SharedItem"):
        fields = schemas[name]["properties"]
        assert fields["price"]["nullable"] is True
        assert "owner" in fields["price"]["description"]
        assert "market" in fields["currency"]["description"]
        assert fields["was_price"]["nullable"] is True
    variant = schemas["WishlistVariant"]["properties"]
    assert "catalogue" in variant["price"]["description"]
    assert "home currency" in variant["currency"]["description"]


@pytest.mark.parametrize("count", [2, 12])
def test_a_shared_list_costs_one_query_more_for_its_owners_price_list(
    zurich, django_assert_max_num_queries, tax_table_kept, count
):
    vreni = customer_at(zurich, "Vreni")
    for index in range(count):
        item = in_francs(VariantFactory(sku=f"WKN-{index:03}"), "9.95")
        add_wishlist_item(
            customer=vreni.customer_profile, variant=item, channel=Channel.WEB
        )
    wishlist = ensure_default_wishlist(customer=vreni.customer_profile)
    url = reverse("customers-api:wishlist-shared", args=[wishlist.share_token])
    # the list with its owner and her shop, its items, their pictures, and the
    # Swiss price list (the markets are kept by the process, as deployed)
    with django_assert_max_num_queries(4):
        response = APIClient().get(url)
    assert [item["price"] for item in response.json()["items"]] == ["9.95"] * count
