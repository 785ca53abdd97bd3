"""Wishlists in the shop count the associate's own shelf as the stock lookup does
(on hand and not held for an order, safety stock included: it may be sold at the
counter), while other shops and the storefront count what an order may still take."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from customers.services.profiles import update_profile
from customers.services.wishlists import add_wishlist_item
from inventory.models import StockLevel
from inventory.selectors import availability_here_and_elsewhere
from inventory.services.ledger import StockRequest
from inventory.services.reservations import reserve_stock
from omnistore.core.channels import Channel
from tests.customers.factories import CustomerUserFactory, make_customer
from tests.factories import LocationFactory, StaffFactory, VariantFactory, stock

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop():
    return LocationFactory(
        name="Milano Centro", latitude=Decimal("45.4642"), longitude=Decimal("9.19")
    )


@pytest.fixture
def nearby_shop():
    return LocationFactory(
        name="Monza", latitude=Decimal("45.5845"), longitude=Decimal("9.2744")
    )


@pytest.fixture
def associate(shop):
    return StaffFactory(first_name="Giulia", last_name="Bianchi", store=shop)


@pytest.fixture
def staff_client(client, associate):
    client.force_login(associate)
    return client


@pytest.fixture
def customer():
    return make_customer(email="martina@example.com", first_name="Martina")


@pytest.fixture
def blazer(customer, shop, nearby_shop):
    """Two on the shelf here, one held for a pickup, one kept back as safety stock;
    Monza holds only its safety stock."""
    variant = VariantFactory(sku="BLZ-42", product__name="Wool blazer")
    stock(variant, shop, 2)
    stock(variant, nearby_shop, 2)
    reserve_stock(
        requests=[StockRequest(variant.pk, shop.pk, 1)],
        reference_type="order",
        reference_id="PU-1",
    )
    StockLevel.objects.filter(variant=variant).update(safety_stock=1)
    StockLevel.objects.filter(variant=variant, location=nearby_shop).update(
        safety_stock=2
    )
    add_wishlist_item(customer=customer, variant=variant, channel=Channel.WEB)
    return variant


def test_the_wishlist_page_shows_the_unit_on_the_shelf_as_the_stock_lookup_does(
    staff_client, customer, shop, blazer
):
    lookup_here, _ = availability_here_and_elsewhere(
        variant_ids=[blazer.pk], location=shop
    )[blazer.pk]
    html = staff_client.get(
        reverse("staff:customer_wishlists", args=[customer.pk])
    ).content.decode()
    here = re.search(r'data-testid="available-here">(.*?)</td>', html, re.S).group(1)
    nearby = re.search(r'data-testid="available-nearby">(.*?)</td>', html, re.S)
    assert lookup_here == 1
    assert ">1</span>" in here and "in stock here" in here
    assert "none here" not in here
    # Monza's two are its safety stock: no order may take them, no one sent there.
    assert "Monza" not in nearby.group(1) and "none nearby" in nearby.group(1)


def test_the_360_card_shows_the_unit_on_the_shelf(staff_client, customer, blazer):
    html = staff_client.get(
        reverse("staff:customer_detail", args=[customer.pk])
    ).content.decode()
    card = re.search(r'data-testid="wishlist-panel".*?</section>', html, re.S).group(0)
    assert "Wool blazer" in card and "1 here" in card


def test_the_storefront_still_counts_what_an_order_may_take(api_client, shop, blazer):
    """The customer's preferred shop is not theirs to sell from: a pickup there may
    not take its safety stock."""
    user = CustomerUserFactory()
    update_profile(customer=user.customer_profile, preferred_store=shop)
    add_wishlist_item(
        customer=user.customer_profile, variant=blazer, channel=Channel.WEB
    )
    api_client.force_authenticate(user)
    (wishlist,) = api_client.get(reverse("customers-api:wishlist-list")).json()[
        "results"
    ]
    (item,) = wishlist["items"]
    assert item["availability_at_preferred_store"]["available"] == 0
