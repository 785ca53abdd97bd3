"""The shared wishlist page prices items in the owner's market: an item still sold
but not on that market's price list reads "Not sold in CHF" (the market's currency),
not "No longer sold", which stays for an item taken off sale."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from customers.services.profiles import update_profile
from customers.services.wishlists import add_wishlist_item
from inventory.models import PriceList, PriceListPrice
from omnistore.core.channels import Channel
from tests.customers.factories import CustomerUserFactory
from tests.factories import LocationFactory, VariantFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def shared_list():
    """Martina shops at Zürich; her list holds a shirt on the franc price list, a
    scarf that is not on it, and a coat taken off sale."""
    zurich = LocationFactory(code="ZH04", name="Zürich", country="CH")
    owner = CustomerUserFactory(first_name="Martina").customer_profile
    update_profile(customer=owner, preferred_store=zurich)
    shirt = VariantFactory(sku="WSH-01", product__name="Oxford shirt", price="59.90")
    scarf = VariantFactory(sku="SCF-01", product__name="Silk scarf", price="49.90")
    coat = VariantFactory(sku="COAT-01", product__name="Wool coat", price="349.00")
    francs = PriceList.objects.get(code="CHF")
    PriceListPrice.objects.create(
        price_list=francs, variant=shirt, price=Decimal("62.90")
    )
    PriceListPrice.objects.create(
        price_list=francs, variant=coat, price=Decimal("369.00")
    )
    for variant in (shirt, scarf, coat):
        add_wishlist_item(customer=owner, variant=variant, channel=Channel.WEB)
    coat.active = False
    coat.save(update_fields=["active"])
    return owner.wishlists.get()


def row(html: str, name: str) -> str:
    return re.search(rf"{name}.*?</tr>", html, re.S).group(0)


def test_an_item_without_a_price_in_the_owners_market_is_not_sold_there(
    client, shared_list
):
    page = client.get(reverse("shared-wishlist", args=[shared_list.share_token]))

    assert page.status_code == 200
    html = page.content.decode()
    scarf = row(html, "Silk scarf")
    assert "Not sold in CHF" in scarf
    assert "No longer sold" not in scarf and "49.90" not in scarf
    assert "62.90 CHF" in row(html, "Oxford shirt")
    coat = row(html, "Wool coat")
    assert "No longer sold" in coat and "Not sold in" not in coat
