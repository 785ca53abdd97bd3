"""An item taken off sale while it is on a wishlist stays there, marked as no longer
sold wherever the list is read: ``available`` false in the owner's and the shared
API (with no stock), "No longer sold" on the shared page, the staff page and the
360° card, with no stock count and no Sell button; the items still sold keep theirs.
"""

import re
from decimal import Decimal

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from customers.services.profiles import update_profile
from customers.services.wishlists import add_wishlist_item
from omnistore.core.channels import Channel
from tests.customers.factories import CustomerUserFactory
from tests.factories import LocationFactory, StaffFactory, VariantFactory, stock

pytestmark = pytest.mark.django_db


def retire(variant, *, whole_product):
    """Taken off sale as the admin does: the variant, or its whole product."""
    target = variant.product if whole_product else variant
    target.active = False
    target.save(update_fields=["active"])


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
def shopper(shop):
    user = CustomerUserFactory(first_name="Martina")
    update_profile(customer=user.customer_profile, preferred_store=shop)
    return user


@pytest.fixture(params=[False, True], ids=["variant", "product"])
def wished(request, shopper, associate, shop, nearby_shop):
    """A scarf still sold and a coat taken off sale, both in stock here and nearby,
    added by the associate to the customer's list."""
    scarf = VariantFactory(sku="SCF-01", product__name="Silk scarf", price="89.00")
    coat = VariantFactory(sku="COAT-01", product__name="Wool coat", price="349.00")
    for variant in (scarf, coat):
        stock(variant, shop, 3)
        stock(variant, nearby_shop, 4)
        add_wishlist_item(
            customer=shopper.customer_profile,
            variant=variant,
            actor=associate,
            location=shop,
            channel=Channel.STORE,
        )
    retire(coat, whole_product=request.param)
    return scarf, coat


def by_sku(items, sku) -> dict:
    return next(item for item in items if item["variant"]["sku"] == sku)


def test_the_owner_sees_the_item_unavailable_with_no_stock(shopper, shop, wished):
    client = APIClient()
    client.force_authenticate(shopper)

    (wishlist,) = client.get("/api/v1/wishlists/").json()["results"]

    coat = by_sku(wishlist["items"], "COAT-01")
    assert coat["available"] is False
    assert coat["availability_at_preferred_store"] is None
    assert coat["available_nearby"] == []
    scarf = by_sku(wishlist["items"], "SCF-01")
    assert scarf["available"] is True
    assert scarf["availability_at_preferred_store"]["available"] == 3
    assert [n["available"] for n in scarf["available_nearby"]] == [4]


def test_the_shared_list_says_the_item_is_no_longer_sold(client, shopper, wished):
    wishlist = shopper.customer_profile.wishlists.get()

    shared = APIClient().get(f"/api/v1/wishlists/shared/{wishlist.share_token}/")
    page = client.get(reverse("shared-wishlist", args=[wishlist.share_token]))

    items = shared.json()["items"]
    assert by_sku(items, "COAT-01")["available"] is False
    assert by_sku(items, "SCF-01")["available"] is True
    html = page.content.decode()
    coat = re.search(r"Wool coat.*?</tr>", html, re.S).group(0)
    assert "No longer sold" in coat and "349.00" not in coat
    scarf = re.search(r"Silk scarf.*?</tr>", html, re.S).group(0)
    assert "89.00 EUR" in scarf and "No longer sold" not in scarf


def test_the_staff_page_shows_no_stock_and_no_sell_button_for_it(
    client, associate, shopper, wished
):
    client.force_login(associate)
    customer = shopper.customer_profile

    html = client.get(
        reverse("staff:customer_wishlists", args=[customer.pk])
    ).content.decode()

    coat = re.search(r'data-sku="COAT-01".*?</tr>', html, re.S).group(0)
    assert "No longer sold" in coat
    assert "in stock here" not in coat and "Monza" not in coat
    assert 'data-testid="sell-COAT-01"' not in coat
    assert 'data-testid="remove-COAT-01"' in coat  # it can still be taken off
    scarf = re.search(r'data-sku="SCF-01".*?</tr>', html, re.S).group(0)
    assert "in stock here" in scarf and 'data-testid="sell-SCF-01"' in scarf
    assert "No longer sold" not in scarf


def test_the_360_card_says_no_longer_sold_instead_of_stock(
    client, associate, shopper, wished
):
    client.force_login(associate)
    customer = shopper.customer_profile

    html = client.get(
        reverse("staff:customer_detail", args=[customer.pk])
    ).content.decode()

    card = re.search(r'data-testid="wishlist-panel".*?</section>', html, re.S).group(0)
    coat = re.search(r"Wool coat.*?</li>", card, re.S).group(0)
    assert "No longer sold" in coat and "here" not in coat
    scarf = re.search(r"Silk scarf.*?</li>", card, re.S).group(0)
    assert "3 here" in scarf
