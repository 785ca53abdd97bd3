"""A merge folds the merged profile's default wishlist into the survivor's; the link
of the folded list, perhaps emailed to friends, keeps working: it opens the list its
items went to, as that list's own link does. A list archived by its owner stays
closed, and so does a folded link once the list it went into is archived or its link
renewed."""

from importlib import import_module

import pytest
from django.apps import apps
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from customers.models import CustomerEvent, Wishlist
from customers.services.merge import merge_customers
from customers.services.wishlists import (
    EVENT_WISHLIST_LINK_RENEWED,
    add_wishlist_item,
    archive_wishlist,
    create_wishlist,
)
from omnistore.core.channels import Channel
from orders.models import CartLine
from tests.customers.factories import CustomerUserFactory, make_customer
from tests.factories import LocationFactory, ProductFactory, StaffFactory
from tests.orders.factories import stocked

pytestmark = pytest.mark.django_db

link_folded_lists = import_module(
    "customers.migrations.0019_wishlist_folded_into"
).link_folded_lists


@pytest.fixture
def shop():
    return LocationFactory(name="Milano Centro")


@pytest.fixture
def associate(shop):
    return StaffFactory(first_name="Sara", last_name="Colombo", store=shop)


@pytest.fixture
def survivor():
    login = CustomerUserFactory(first_name="Martina", last_name="Ferrari")
    return login.customer_profile


@pytest.fixture
def other():
    return make_customer(phone="333 765 4321", first_name="Tina", last_name="Ferrari")


def variant(shop, name: str, price: str):
    """A variant sold (and stocked) at ``shop``, as a friend may order it."""
    return stocked(shop, 5, price=price, product=ProductFactory(name=name))


def page(token: str):
    return APIClient().get(reverse("shared-wishlist", args=[token]))


def api(token: str):
    return APIClient().get(reverse("customers-api:wishlist-shared", args=[token]))


@pytest.fixture
def folded(survivor, other, associate, shop):
    """Tina's list (shared by its link) folded into Martina's by a merge: its token,
    and Martina's list."""
    scarf = variant(shop, "Silk scarf", "89.00")
    boots = variant(shop, "Ankle boots", "210.00")
    add_wishlist_item(
        customer=other,
        variant=scarf,
        note="for the wedding",
        actor=associate,
        channel=Channel.STORE,
    )
    token = Wishlist.objects.get(customer=other).share_token
    mine = add_wishlist_item(customer=survivor, variant=boots, channel="web").item
    merge_customers(survivor=survivor, other=other, actor=associate)
    return token, Wishlist.objects.get(pk=mine.wishlist_id)


def test_the_folded_lists_link_opens_the_survivors_list_on_the_page_and_the_api(
    folded,
):
    token, mine = folded
    with CaptureQueriesContext(connection) as own_link:
        own = api(mine.share_token)
    with CaptureQueriesContext(connection) as old_link:
        response = api(token)

    assert response.status_code == 200
    # The list its items went to, as its own link serves it: the survivor's first
    # name, every item with its price; no note, no associate; no query more.
    assert response.json() == own.json()
    body = response.json()
    assert body["owner"] == "Martina"
    assert [(i["variant"]["name"], i["price"]) for i in body["items"]] == [
        ("Ankle boots (Blue / M)", "210.00"),
        ("Silk scarf (Blue / M)", "89.00"),
    ]
    assert "wedding" not in response.content.decode()
    assert "Sara" not in response.content.decode()
    assert len(old_link) == len(own_link)

    shown = page(token)
    assert shown.status_code == 200
    html = shown.content.decode()
    assert "Martina shared this wishlist with you." in html
    assert "Silk scarf" in html and "89.00 EUR" in html
    assert "Ankle boots" in html and "210.00 EUR" in html
    assert "wedding" not in html and "Sara" not in html and "Tina" not in html


def test_a_list_its_owner_archived_stays_closed_after_a_merge(
    survivor, other, associate, shop
):
    add_wishlist_item(
        customer=other, variant=variant(shop, "Scarf", "9.00"), channel="web"
    )
    folded_token = Wishlist.objects.get(customer=other).share_token
    gifts = create_wishlist(customer=other, name="Gifts", channel=Channel.WEB)
    archive_wishlist(wishlist=gifts, channel=Channel.WEB)
    add_wishlist_item(
        customer=survivor, variant=variant(shop, "Boots", "9.00"), channel="web"
    )
    old = create_wishlist(customer=survivor, name="Old", channel=Channel.WEB)
    archive_wishlist(wishlist=old, channel=Channel.WEB)

    merge_customers(survivor=survivor, other=other, actor=associate)

    assert page(folded_token).status_code == 200
    for closed in (gifts.share_token, old.share_token):
        assert page(closed).status_code == 404
        response = api(closed)
        assert response.status_code == 404
        assert response.json()["message"] == "Wishlist not found."


def test_the_folded_link_closes_with_the_list_it_went_into(folded, survivor):
    token, mine = folded
    assert api(token).status_code == 200

    archive_wishlist(wishlist=mine, channel=Channel.WEB)

    assert api(token).status_code == 404
    assert page(token).status_code == 404


def test_a_renewed_link_cuts_the_folded_one_with_the_old_one(folded, survivor):
    token, mine = folded
    client = APIClient()
    client.force_authenticate(survivor.user)

    renewed = client.post(reverse("customers-api:wishlist-share-link", args=[mine.pk]))

    assert renewed.status_code == 200
    assert page(mine.share_token).status_code == 404
    assert page(token).status_code == 404
    assert APIClient().get(renewed.json()["share_url"]).status_code == 200
    said = CustomerEvent.objects.get(
        customer=survivor, kind=EVENT_WISHLIST_LINK_RENEWED
    ).summary
    assert said.endswith("stopped working, as did those of the lists merged into it")
    # The fold stays on record.
    assert Wishlist.objects.get(folded_into=mine).archived_at is not None


def test_a_survivor_merged_again_still_opens_through_both_folds(
    folded, survivor, associate, shop
):
    token, mine = folded
    third = make_customer(email="marti@example.com", first_name="Marti")
    kept = add_wishlist_item(
        customer=third, variant=variant(shop, "Belt", "45.00"), channel="web"
    ).item.wishlist

    merge_customers(survivor=third, other=survivor, actor=associate)

    for old in (token, mine.share_token):
        response = api(old)
        assert response.status_code == 200
        assert response.json() == api(kept.share_token).json()
        assert response.json()["owner"] == "Marti"
        assert len(response.json()["items"]) == 3


def test_an_order_through_the_folded_link_credits_the_associate_who_added_it(
    folded, associate, shop
):
    token, _ = folded
    # the scarf the associate added to the merged profile's list, now the survivor's
    scarf = Wishlist.objects.get(share_token=token).folded_into.items.get(
        added_by_staff=associate
    )
    client = APIClient()
    client.credentials(HTTP_X_CART_TOKEN=client.post("/api/v1/cart/").json()["token"])

    added = client.post(
        "/api/v1/cart/lines/",
        {
            "lines": [{"variant": scarf.variant_id, "quantity": 1}],
            "via_wishlist": token,
        },
        format="json",
    )

    assert added.status_code == 201, added.json()
    assert CartLine.objects.get().helped_by == associate


def test_merges_made_before_name_the_list_they_folded_into(folded):
    token, mine = folded
    Wishlist.objects.filter(share_token=token).update(folded_into=None)
    assert api(token).status_code == 404

    link_folded_lists(apps, None)

    assert Wishlist.objects.get(share_token=token).folded_into_id == mine.pk
    assert api(token).json() == api(mine.share_token).json()


def test_only_an_archived_list_can_be_folded(folded):
    """A folded list reopened would answer its link twice: the database refuses."""
    _, mine = folded
    with pytest.raises(IntegrityError), transaction.atomic():
        Wishlist.objects.filter(folded_into=mine).update(archived_at=None)
    assert Wishlist.objects.get(folded_into=mine).archived_at < timezone.now()
