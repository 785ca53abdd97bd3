"""Storefront wishlists: a customer sees items an associate added for them, with the
associate's name and stock at their preferred shop; nobody reaches another person's
lists; sharing by email needs a confirmed email and goes out once, after commit."""

from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse
from rest_framework.test import APIClient

from customers.models import CustomerEvent, Wishlist, WishlistItem
from customers.selectors.wishlists import WISHLIST_SHARE_TOPIC
from customers.services.profiles import update_profile
from customers.services.wishlists import (
    add_wishlist_item,
    create_wishlist,
    ensure_default_wishlist,
)
from inventory.models import Location, StockLevel
from inventory.services.images import add_product_image
from omnistore.core.channels import Channel
from omnistore.core.models import OutboxMessage
from tests.customers.factories import CustomerUserFactory
from tests.customers.wishlist_owners import confirm_email
from tests.factories import LocationFactory, StaffFactory, VariantFactory, stock
from tests.inventory.image_helpers import upload
from tests.orders.factories import in_francs

pytestmark = pytest.mark.django_db

LIST_URL = reverse("customers-api:wishlist-list")


def detail_url(wishlist) -> str:
    return reverse("customers-api:wishlist-detail", args=[wishlist.pk])


def items_url(wishlist) -> str:
    return reverse("customers-api:wishlist-items", args=[wishlist.pk])


def item_url(wishlist, item) -> str:
    return reverse("customers-api:wishlist-item", args=[wishlist.pk, item.pk])


def share_url(wishlist) -> str:
    return reverse("customers-api:wishlist-share", args=[wishlist.pk])


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
    customer = user.customer_profile
    update_profile(customer=customer, preferred_store=milano)
    return user


@pytest.fixture
def client_a(api_client, shopper):
    api_client.force_authenticate(shopper)
    return api_client


def test_the_customer_sees_what_an_associate_added_with_their_name_and_stock(
    client_a, shopper, milano, monza
):
    associate = StaffFactory(first_name="Giulia", last_name="Bianchi", store=milano)
    variant = VariantFactory(
        sku="BLZ-40", product__name="Blazer", colour="Navy", size="40", price="129.00"
    )
    stock(variant, milano, 2)
    stock(variant, monza, 5)
    add_wishlist_item(
        customer=shopper.customer_profile,
        variant=variant,
        note="Try with the grey trousers",
        actor=associate,
        channel=Channel.STORE,
    )
    response = client_a.get(LIST_URL)
    assert response.status_code == 200
    (wishlist,) = response.json()["results"]
    assert wishlist["name"] == "My wishlist"
    (item,) = wishlist["items"]
    assert item["variant"] == {
        "id": variant.pk,
        "sku": "BLZ-40",
        "name": "Blazer (Navy / 40)",
        "price": "129.00",
        "currency": "EUR",
        "images": [],
    }
    assert item["note"] == "Try with the grey trousers"
    assert item["added_by"] == {
        "type": "staff",
        "name": "Giulia B.",
        "store": "Milano Centro",
    }
    assert item["added_via"] == "store"
    assert item["availability_at_preferred_store"] == {
        "id": milano.pk,
        "name": "Milano Centro",
        "available": 2,
    }
    (nearby,) = item["available_nearby"]
    assert nearby["name"] == "Monza" and nearby["available"] == 5
    assert 10 < nearby["distance_km"] < 20


def test_items_the_customer_adds_are_theirs_and_re_adding_does_not_duplicate(
    client_a, shopper
):
    variant = VariantFactory()
    wishlist = client_a.post(LIST_URL, {"name": "Summer"}, format="json").json()
    assert wishlist["name"] == "Summer" and wishlist["items"] == []
    target = Wishlist.objects.get(pk=wishlist["id"])
    first = client_a.post(
        items_url(target), {"variant": variant.pk, "note": "M"}, format="json"
    )
    assert first.status_code == 201
    assert first.json()["added_by"] == {"type": "customer", "name": None, "store": None}
    again = client_a.post(
        items_url(target), {"variant": variant.pk, "note": "L"}, format="json"
    )
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"] and again.json()["note"] == "L"
    assert WishlistItem.objects.filter(wishlist=target).count() == 1


def test_app_requests_are_recorded_as_the_app_channel(client_a, shopper):
    wishlist = ensure_default_wishlist(customer=shopper.customer_profile)
    response = client_a.post(
        items_url(wishlist),
        {"variant": VariantFactory().pk},
        format="json",
        HTTP_X_CLIENT_CHANNEL="app",
    )
    assert response.json()["added_via"] == "app"
    assert CustomerEvent.objects.get(kind="wishlist_item_added").channel == "app"


def test_bad_input_is_a_400_with_field_errors_and_changes_nothing(client_a, shopper):
    wishlist = ensure_default_wishlist(customer=shopper.customer_profile)
    gone = VariantFactory(active=False)
    for body in ({}, {"variant": "x"}, {"variant": gone.pk}, {"variant": 10**9}):
        response = client_a.post(items_url(wishlist), body, format="json")
        assert response.status_code == 400, body
        assert "variant" in response.json()["extra"]
    response = client_a.patch(detail_url(wishlist), {"name": ""}, format="json")
    assert response.status_code == 400 and "name" in response.json()["extra"]
    response = client_a.post(share_url(wishlist), {"email": "nope"}, format="json")
    assert response.status_code == 400
    assert not WishlistItem.objects.exists()
    assert Wishlist.objects.get().name == "My wishlist"


def test_another_customer_cannot_see_or_touch_my_lists(api_client, shopper):
    mine = ensure_default_wishlist(customer=shopper.customer_profile)
    item = add_wishlist_item(
        wishlist=mine, variant=VariantFactory(), channel=Channel.WEB
    ).item
    other = CustomerUserFactory()
    api_client.force_authenticate(other)
    assert api_client.get(LIST_URL).json()["results"] == []
    variant = VariantFactory()
    attempts = [
        api_client.get(detail_url(mine)),
        api_client.patch(detail_url(mine), {"name": "Mine now"}, format="json"),
        api_client.delete(detail_url(mine)),
        api_client.post(items_url(mine), {"variant": variant.pk}, format="json"),
        api_client.delete(item_url(mine, item)),
        api_client.post(share_url(mine), {"email": "x@example.com"}, format="json"),
    ]
    assert [r.status_code for r in attempts] == [404] * 6
    mine.refresh_from_db()
    assert mine.name == "My wishlist" and mine.archived_at is None
    assert list(mine.items.filter(removed_at__isnull=True)) == [item]
    assert mail.outbox == []


def test_an_item_id_of_another_list_is_not_found(client_a, shopper):
    customer = shopper.customer_profile
    first = ensure_default_wishlist(customer=customer)
    second = create_wishlist(customer=customer, channel=Channel.WEB)
    item = add_wishlist_item(
        wishlist=first, variant=VariantFactory(), channel=Channel.WEB
    ).item
    assert client_a.delete(item_url(second, item)).status_code == 404
    assert WishlistItem.objects.get().removed_at is None


def test_anonymous_requests_are_refused(api_client, shopper):
    wishlist = ensure_default_wishlist(customer=shopper.customer_profile)
    assert api_client.get(LIST_URL).status_code in (401, 403)
    assert api_client.get(detail_url(wishlist)).status_code in (401, 403)


def test_removing_soft_deletes_and_leaves_a_timeline_event(client_a, shopper):
    wishlist = ensure_default_wishlist(customer=shopper.customer_profile)
    item = add_wishlist_item(
        wishlist=wishlist, variant=VariantFactory(), channel=Channel.WEB
    ).item
    assert client_a.delete(item_url(wishlist, item)).status_code == 204
    item.refresh_from_db()
    assert item.removed_at is not None and item.removed_by == shopper
    assert client_a.get(detail_url(wishlist)).json()["items"] == []
    assert CustomerEvent.objects.filter(kind="wishlist_item_removed").count() == 1
    timeline = client_a.get(reverse("customers-api:me-timeline")).json()["results"]
    assert timeline[0]["kind"] == "wishlist_item_removed"
    assert client_a.delete(item_url(wishlist, item)).status_code == 404


def test_rename_and_delete_a_list(client_a, shopper):
    wishlist = create_wishlist(
        customer=shopper.customer_profile, name="Ideas", channel=Channel.WEB
    )
    response = client_a.patch(detail_url(wishlist), {"name": "Gifts"}, format="json")
    assert response.status_code == 200 and response.json()["name"] == "Gifts"
    shared = reverse("customers-api:wishlist-shared", args=[wishlist.share_token])
    assert client_a.get(shared).status_code == 200
    assert client_a.delete(detail_url(wishlist)).status_code == 204
    assert client_a.get(detail_url(wishlist)).status_code == 404
    assert client_a.get(shared).status_code == 404
    assert Wishlist.objects.get().archived_at is not None  # kept on record


def test_share_by_email_sends_one_email_after_commit(
    client_a, shopper, django_capture_on_commit_callbacks
):
    confirm_email(client_a, shopper.email)
    wishlist = ensure_default_wishlist(customer=shopper.customer_profile)
    add_wishlist_item(
        wishlist=wishlist,
        variant=VariantFactory(product__name="Silk scarf"),
        channel=Channel.WEB,
    )
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client_a.post(
            share_url(wishlist), {"email": "friend@example.com"}, format="json"
        )
    assert response.status_code == 202 and response.json() == {"queued": True}
    assert len(callbacks) == 1
    (message,) = mail.outbox
    assert message.to == ["friend@example.com"] and "Silk scarf" in message.body
    with django_capture_on_commit_callbacks(execute=True):
        response = client_a.post(
            share_url(wishlist), {"email": "friend@example.com"}, format="json"
        )
    assert response.json() == {"queued": False}
    assert len(mail.outbox) == 1


def test_an_account_that_never_confirmed_its_email_cannot_share_until_it_does(
    client_a, shopper, django_capture_on_commit_callbacks
):
    """A new sign-up cannot have the shop email its words to anyone: the share is
    refused, nothing queued, until the account types back the code mailed to it."""
    wishlist = ensure_default_wishlist(customer=shopper.customer_profile)
    add_wishlist_item(wishlist=wishlist, variant=VariantFactory(), channel=Channel.WEB)
    body = {"email": "victim@example.net", "message": "Your parcel is held: pay here"}

    with django_capture_on_commit_callbacks(execute=True):
        refused = client_a.post(share_url(wishlist), body, format="json")

    assert refused.status_code == 400
    error = refused.json()
    assert error["code"] == "email_not_verified"
    assert error["message"].startswith("Confirm your email")
    assert error["extra"]["non_field_errors"] == [error["message"]]
    assert not OutboxMessage.objects.filter(topic=WISHLIST_SHARE_TOPIC).exists()
    assert mail.outbox == []
    assert not CustomerEvent.objects.filter(kind="wishlist_shared").exists()

    confirm_email(client_a, shopper.email)
    with django_capture_on_commit_callbacks(execute=True):
        accepted = client_a.post(share_url(wishlist), body, format="json")

    assert accepted.status_code == 202 and accepted.json() == {"queued": True}
    (message,) = mail.outbox
    assert message.to == ["victim@example.net"]
    assert "These are the sender's own words, not Omnistore's." in message.body


def test_a_shared_list_is_readable_by_its_link_without_notes_or_staff(
    api_client, shopper
):
    associate = StaffFactory(first_name="Giulia", last_name="Bianchi")
    wishlist = ensure_default_wishlist(customer=shopper.customer_profile)
    variant = VariantFactory()
    add_wishlist_item(
        wishlist=wishlist,
        variant=variant,
        note="private",
        actor=associate,
        channel=Channel.STORE,
    )
    url = reverse("customers-api:wishlist-shared", args=[wishlist.share_token])
    response = api_client.get(url)
    assert response.status_code == 200
    body = response.json()
    assert body["owner"] == "Martina" and body["name"] == "My wishlist"
    assert [i["variant"]["sku"] for i in body["items"]] == [variant.sku]
    assert "private" not in response.content.decode()
    assert "Giulia" not in response.content.decode()
    bad = reverse("customers-api:wishlist-shared", args=["not-a-token"])
    assert api_client.get(bad).status_code == 404


def test_a_new_link_stops_the_old_one_and_only_the_owner_can_ask(
    client_a, api_client, shopper
):
    wishlist = ensure_default_wishlist(customer=shopper.customer_profile)
    old_url = client_a.get(detail_url(wishlist)).json()["share_url"]
    old_path = reverse("customers-api:wishlist-shared", args=[wishlist.share_token])
    assert old_url.endswith(reverse("shared-wishlist", args=[wishlist.share_token]))
    renew = reverse("customers-api:wishlist-share-link", args=[wishlist.pk])

    other = CustomerUserFactory()
    stranger = APIClient()
    stranger.force_authenticate(other)
    assert stranger.post(renew).status_code == 404
    assert stranger.get(old_path).status_code == 200  # untouched by the refusal

    response = client_a.post(renew)
    assert response.status_code == 200
    new_url = response.json()["share_url"]
    assert new_url != old_url
    assert stranger.get(old_path).status_code == 404
    wishlist.refresh_from_db()
    new_path = reverse("customers-api:wishlist-shared", args=[wishlist.share_token])
    assert new_url.endswith(reverse("shared-wishlist", args=[wishlist.share_token]))
    assert stranger.get(new_path).status_code == 200
    event = CustomerEvent.objects.get(kind="wishlist_link_renewed")
    assert event.customer == shopper.customer_profile


@pytest.mark.parametrize("count", [1, 10])
@pytest.mark.parametrize(
    ("country", "queries"),
    [
        # profile, count, lists, items, pictures, shops, levels; the prices of a
        # market selling at the catalogue's are the variants' own: none more
        ("IT", 7),
        # one more, whatever the number of items: the Swiss market's price list
        ("CH", 8),
    ],
)
def test_the_list_endpoint_costs_a_fixed_number_of_queries(
    client_a,
    shopper,
    milano,
    monza,
    django_assert_max_num_queries,
    tax_table_kept,
    count,
    country,
    queries,
):
    customer = shopper.customer_profile
    Location.objects.filter(pk=milano.pk).update(country=country)  # the market
    associate = StaffFactory(store=milano)
    for i in range(count):
        wishlist = create_wishlist(customer=customer, channel=Channel.WEB)
        for _ in range(2):
            variant = in_francs(VariantFactory(), "9.95")
            stock(variant, monza if i % 2 else milano, 3)
            add_wishlist_item(
                wishlist=wishlist,
                variant=variant,
                actor=associate if i % 2 else None,
                channel=Channel.STORE if i % 2 else Channel.WEB,
            )
    # auth token-less session; the markets are kept by the process, as deployed
    with django_assert_max_num_queries(queries):
        response = client_a.get(LIST_URL)
    assert response.status_code == 200
    assert response.json()["count"] == count
    items = [item for w in response.json()["results"] for item in w["items"]]
    assert len(items) == 2 * count
    assert {item["currency"] for item in items} == {"CHF" if country == "CH" else "EUR"}


def test_the_schema_documents_the_wishlist_endpoints(api_client):
    schema = api_client.get("/api/schema/", {"format": "json"}).json()
    paths = schema["paths"]
    assert "/api/v1/wishlists/" in paths
    assert "/api/v1/wishlists/{id}/items/{item_id}/" in paths
    assert "/api/v1/wishlists/shared/{token}/" in paths
    item = schema["components"]["schemas"]["WishlistItem"]["properties"]
    assert "availability_at_preferred_store" in item and "added_by" in item


def shot(product, variant, alt):
    add_product_image(product=product, variant=variant, image=upload(), alt_text=alt)


def test_an_item_shows_its_colours_pictures_or_the_products_never_another_colours(
    client_a, shopper
):
    blue = VariantFactory(sku="SH-BLU-M", colour="Blue", size="M")
    red = VariantFactory(sku="SH-RED-M", colour="Red", size="M", product=blue.product)
    green = VariantFactory(
        sku="SH-GRN-M", colour="Green", size="M", product=blue.product
    )
    shot(blue.product, red, "Red shirt")
    for variant in (blue, green):
        add_wishlist_item(
            customer=shopper.customer_profile, variant=variant, channel=Channel.WEB
        )

    def images():
        (wishlist,) = client_a.get(LIST_URL).json()["results"]
        return {i["variant"]["sku"]: i["variant"]["images"] for i in wishlist["items"]}

    assert images() == {"SH-BLU-M": [], "SH-GRN-M": []}  # no red shirt for blue
    shot(blue.product, None, "The shirt")
    shot(blue.product, green, "Green shirt")
    shown = images()
    assert [i["alt"] for i in shown["SH-BLU-M"]] == ["The shirt"]
    assert [i["alt"] for i in shown["SH-GRN-M"]] == ["Green shirt"]


def test_an_item_shows_what_a_pickup_would_take_not_the_shops_safety_stock(
    client_a, shopper, milano, monza
):
    variant = VariantFactory(sku="BLZ-42", size="42")
    stock(variant, milano, 3)
    stock(variant, monza, 2)
    StockLevel.objects.filter(variant=variant, location=milano).update(safety_stock=2)
    StockLevel.objects.filter(variant=variant, location=monza).update(safety_stock=2)
    add_wishlist_item(
        customer=shopper.customer_profile, variant=variant, channel=Channel.WEB
    )

    (item,) = client_a.get(LIST_URL).json()["results"][0]["items"]

    assert item["availability_at_preferred_store"]["available"] == 1
    assert item["available_nearby"] == []  # Monza's two are its safety stock
