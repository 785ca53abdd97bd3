"""A list is shared by email only when its email would show something: an item still
sold, at a price of the owner's market. A list of items no longer sold, or not sold
in the owner's market, is refused like an empty one (400 naming ``wishlist``),
nothing queued, recorded or mailed; one such item among others does not stop it."""

import pytest
from django.core import mail
from django.urls import reverse

from customers.models import CustomerEvent
from customers.selectors.wishlists import WISHLIST_SHARE_TOPIC
from customers.services.profiles import update_profile
from customers.services.wishlists import add_wishlist_item, ensure_default_wishlist
from omnistore.core.channels import Channel
from omnistore.core.models import OutboxMessage
from tests.customers.factories import CustomerUserFactory
from tests.customers.wishlist_owners import confirm_email
from tests.factories import LocationFactory, VariantFactory
from tests.orders.factories import in_francs

pytestmark = pytest.mark.django_db

BODY = {"email": "grandma@example.com", "message": "For the wedding"}


def share_url(wishlist) -> str:
    return reverse("customers-api:wishlist-share", args=[wishlist.pk])


def signed_in(api_client, *, store=None):
    """Martina, her email confirmed, with her (empty) default list."""
    user = CustomerUserFactory(first_name="Martina", email="martina@example.com")
    customer = user.customer_profile
    if store is not None:
        update_profile(customer=customer, preferred_store=store)
    api_client.force_authenticate(user)
    confirm_email(api_client, user.email)
    return customer, ensure_default_wishlist(customer=customer)


def assert_nothing_shared(response):
    assert response.status_code == 400
    error = response.json()
    assert error["message"].startswith("Nothing on the list is on sale")
    assert error["extra"]["wishlist"] == [
        "Every item is no longer sold or not sold in the owner's market."
    ]
    assert not OutboxMessage.objects.filter(topic=WISHLIST_SHARE_TOPIC).exists()
    assert not CustomerEvent.objects.filter(kind="wishlist_shared").exists()
    assert mail.outbox == []


def share(api_client, wishlist, capture):
    with capture(execute=True):
        return api_client.post(share_url(wishlist), BODY, format="json")


def test_a_list_whose_only_item_is_no_longer_sold_is_not_shared(
    api_client, django_capture_on_commit_callbacks
):
    customer, wishlist = signed_in(api_client)
    dress = VariantFactory(product__name="Linen dress")
    add_wishlist_item(wishlist=wishlist, variant=dress, channel=Channel.WEB)
    dress.active = False
    dress.save(update_fields=["active"])

    response = share(api_client, wishlist, django_capture_on_commit_callbacks)

    assert_nothing_shared(response)
    export = api_client.get(reverse("customers-api:me-export")).json()
    assert "grandma@example.com" not in str(export)


def test_a_list_of_items_not_sold_in_the_owners_market_is_shared_once_one_is(
    api_client, django_capture_on_commit_callbacks
):
    """A Zürich customer's scarf (not on the franc price list) and coat (taken off
    sale): refused; with a shirt sold in francs added, the email lists the shirt
    alone."""
    zurich = LocationFactory(code="ZH05", name="Zürich", country="CH")
    customer, wishlist = signed_in(api_client, store=zurich)
    scarf = VariantFactory(product__name="Silk scarf")
    coat = in_francs(VariantFactory(product__name="Wool coat"), "369.00")
    for variant in (scarf, coat):
        add_wishlist_item(wishlist=wishlist, variant=variant, channel=Channel.WEB)
    coat.product.active = False
    coat.product.save(update_fields=["active"])

    assert_nothing_shared(
        share(api_client, wishlist, django_capture_on_commit_callbacks)
    )

    shirt = in_francs(VariantFactory(product__name="Linen shirt"), "62.90")
    add_wishlist_item(wishlist=wishlist, variant=shirt, channel=Channel.WEB)
    response = share(api_client, wishlist, django_capture_on_commit_callbacks)

    assert response.status_code == 202 and response.json() == {"queued": True}
    (message,) = mail.outbox
    assert message.to == ["grandma@example.com"]
    assert "Linen shirt" in message.body and "62.90 CHF" in message.body
    assert "Silk scarf" not in message.body and "Wool coat" not in message.body
    assert CustomerEvent.objects.filter(kind="wishlist_shared").count() == 1


def test_the_schema_says_a_list_with_nothing_on_sale_is_a_400(api_client):
    schema = api_client.get("/api/schema/", {"format": "json"}).json()
    share_post = schema["paths"]["/api/v1/wishlists/{id}/share/"]["post"]
    assert (
        "nothing still sold in your market"
        in (share_post["responses"]["400"]["description"])
    )
