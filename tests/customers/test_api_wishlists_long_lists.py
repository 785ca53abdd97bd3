"""A long wishlist in the app: every item comes back, each with its pictures, who
added it and its stock, for the same number of queries as a short one."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from customers.services.profiles import update_profile
from customers.services.wishlists import add_wishlist_item, create_wishlist
from inventory.services.images import add_product_image
from omnistore.core.channels import Channel
from tests.customers.factories import CustomerUserFactory
from tests.factories import (
    LocationFactory,
    ProductFactory,
    StaffFactory,
    VariantFactory,
    stock,
)
from tests.inventory.image_helpers import upload

pytestmark = pytest.mark.django_db

LIST_URL = reverse("customers-api:wishlist-list")


@pytest.fixture
def milano():
    return LocationFactory(
        name="Milano Centro", latitude=Decimal("45.4642"), longitude=Decimal("9.19")
    )


@pytest.fixture
def monza():
    return LocationFactory(
        name="Monza", latitude=Decimal("45.5845"), longitude=Decimal("9.2744")
    )


@pytest.fixture
def shopper(milano):
    user = CustomerUserFactory(first_name="Martina", last_name="Ferrari")
    update_profile(customer=user.customer_profile, preferred_store=milano)
    return user


@pytest.fixture
def client_a(api_client, shopper):
    api_client.force_authenticate(shopper)
    return api_client


@pytest.fixture
def dress():
    """A dress with one picture of the product and one of its red colour."""
    product = ProductFactory(name="Linen dress")
    add_product_image(product=product, image=upload(), alt_text="The dress")
    red = VariantFactory(product=product, colour="Red", size="XS", sku="DRS-RED-XS")
    add_product_image(product=product, variant=red, image=upload(), alt_text="Red")
    return product


def fill(wishlist, product, count, shops, associate, tag) -> None:
    """``count`` sizes of ``product``, red and blue in turn, every other one added by
    ``associate``, each in stock at one of ``shops``."""
    for index in range(count):
        colour = "Red" if index % 2 else "Blue"
        variant = VariantFactory(
            product=product, colour=colour, size=f"{tag}{index}", sku=f"{tag}-{index}"
        )
        stock(variant, shops[index % len(shops)], 1 + index)
        add_wishlist_item(
            wishlist=wishlist,
            variant=variant,
            actor=associate if index % 2 else None,
            channel=Channel.STORE if index % 2 else Channel.WEB,
        )


def read(client) -> tuple[list[dict], int]:
    client.get(LIST_URL)  # the process's first request fills Django's caches
    with CaptureQueriesContext(connection) as captured:
        response = client.get(LIST_URL)
    assert response.status_code == 200
    # Only what the answer holds is read: not a product's description, not the
    # password or dates of the associates who added items.
    read_sql = " ".join(query["sql"] for query in captured)
    assert '"description"' not in read_sql and '"password"' not in read_sql
    return response.json()["results"], len(captured)


def test_every_item_of_a_long_list_comes_back_for_the_same_queries(
    client_a, shopper, milano, monza, dress
):
    customer = shopper.customer_profile
    associate = StaffFactory(first_name="Giulia", last_name="Bianchi", store=monza)
    lists = [
        create_wishlist(customer=customer, name="Everyday", channel=Channel.WEB),
        create_wishlist(customer=customer, name="Wedding", channel=Channel.WEB),
    ]
    for wishlist in lists:
        fill(wishlist, dress, 1, [milano, monza], associate, f"S{wishlist.pk}")
    _, short = read(client_a)

    for wishlist in lists:
        fill(wishlist, dress, 40, [milano, monza], associate, f"L{wishlist.pk}")
    results, long = read(client_a)

    assert long == short
    assert [len(wishlist["items"]) for wishlist in results] == [41, 41]
    items = {item["variant"]["sku"]: item for w in results for item in w["items"]}
    red, blue = items[f"L{lists[1].pk}-39"], items[f"L{lists[1].pk}-38"]
    # Pictures many items share are on each of them: the red ones show the red
    # picture, the others the product's own.
    assert [image["alt"] for image in red["variant"]["images"]] == ["Red"]
    assert [image["alt"] for image in blue["variant"]["images"]] == ["The dress"]
    assert red["variant"]["images"][0]["urls"]["thumb"].startswith("http")
    assert (
        sum(
            [i["alt"] for i in item["variant"]["images"]] == ["Red"]
            for item in items.values()
        )
        == 40
    )
    assert red["added_by"] == {
        "type": "staff",
        "name": "Giulia B.",
        "store": "Monza",
    }
    assert red["can_contact"] is True
    assert red["availability_at_preferred_store"] == {
        "id": milano.pk,
        "name": "Milano Centro",
        "available": 0,
    }
    assert [shop["name"] for shop in red["available_nearby"]] == ["Monza"]
    assert red["available_nearby"][0]["available"] == 40
    assert blue["availability_at_preferred_store"]["available"] == 39
    assert blue["available_nearby"] == []
