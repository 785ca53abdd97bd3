"""A shared wishlist's link opens a page anyone may read: the list's name, whose it
is and its items with prices; no notes, no associate; a renewed or deleted link is
a 404. The email a customer sends carries that link."""

import pytest
from django.core import mail
from django.urls import reverse
from rest_framework.test import APIClient

from customers.services.wishlists import (
    add_wishlist_item,
    archive_wishlist,
    ensure_default_wishlist,
)
from omnistore.core.channels import Channel
from tests.customers.factories import CustomerUserFactory
from tests.customers.wishlist_owners import confirm_email
from tests.factories import StaffFactory, VariantFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def shopper():
    return CustomerUserFactory(first_name="Martina", last_name="Ferrari")


@pytest.fixture
def wishlist(shopper):
    wishlist = ensure_default_wishlist(customer=shopper.customer_profile)
    add_wishlist_item(
        wishlist=wishlist,
        variant=VariantFactory(product__name="Silk scarf", price="89.00"),
        note="for the wedding <b>secret</b>",
        actor=StaffFactory(first_name="Giulia", last_name="Bianchi"),
        channel=Channel.STORE,
    )
    return wishlist


def page(client, wishlist):
    return client.get(reverse("shared-wishlist", args=[wishlist.share_token]))


def test_the_link_opens_the_list_as_a_page(client, wishlist):
    response = page(client, wishlist)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert "Martina shared this wishlist with you." in html
    assert "Silk scarf" in html and "89.00 EUR" in html
    assert "wedding" not in html and "Giulia" not in html
    assert response["Cache-Control"] == "private, no-store"


def test_a_renewed_or_deleted_link_and_a_made_up_one_are_404(client, shopper, wishlist):
    old = reverse("shared-wishlist", args=[wishlist.share_token])
    api = APIClient()
    api.force_authenticate(shopper)
    renewed = api.post(
        reverse("customers-api:wishlist-share-link", args=[wishlist.pk])
    ).json()["share_url"]

    assert client.get(old).status_code == 404
    assert client.get(renewed).status_code == 200
    assert client.get(reverse("shared-wishlist", args=["made-up"])).status_code == 404
    wishlist.refresh_from_db()
    archive_wishlist(wishlist=wishlist, channel=Channel.WEB)
    assert client.get(renewed).status_code == 404


def test_the_email_and_the_api_carry_the_pages_link(
    shopper, wishlist, django_capture_on_commit_callbacks
):
    api = APIClient()
    api.force_authenticate(shopper)
    confirm_email(api, shopper.email)
    link = api.get(reverse("customers-api:wishlist-detail", args=[wishlist.pk])).json()[
        "share_url"
    ]

    with django_capture_on_commit_callbacks(execute=True):
        api.post(
            reverse("customers-api:wishlist-share", args=[wishlist.pk]),
            {"email": "friend@example.com"},
            format="json",
        )

    assert link.endswith(reverse("shared-wishlist", args=[wishlist.share_token]))
    (message,) = mail.outbox
    assert link in message.alternatives[0][0] and link in message.body
