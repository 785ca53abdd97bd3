"""Scanning for one occasion: an associate who chose a list other than the first
keeps it for the next scan (with or without HTMX, and across a removal), and the
confirmation names the list the item went to."""

import re

import pytest
from django.urls import reverse

from customers.models import WishlistItem
from customers.services.wishlists import (
    add_wishlist_item,
    create_wishlist,
    ensure_default_wishlist,
)
from omnistore.core.channels import Channel
from tests.customers.factories import make_customer
from tests.factories import LocationFactory, StaffFactory, VariantFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def staff_client(client):
    client.force_login(StaffFactory(store=LocationFactory(name="Milano Centro")))
    return client


@pytest.fixture
def customer():
    return make_customer(email="martina@example.com", first_name="Martina")


@pytest.fixture
def wedding(customer):
    ensure_default_wishlist(customer=customer)
    return create_wishlist(
        customer=customer, name="Summer wedding", channel=Channel.WEB
    )


def selected_list(html: str) -> str:
    select = re.search(r'<select name="wishlist".*?</select>', html, re.S).group(0)
    return re.search(r"<option[^>]*selected[^>]*>([^<]*)<", select).group(1)


def add(client, customer, **data):
    url = reverse("staff:customer_wishlist_add", args=[customer.pk])
    return client.post(url, data, **HTMX)


def test_after_a_scan_the_list_chosen_stays_selected_and_is_named(
    staff_client, customer, wedding
):
    response = add(
        staff_client,
        customer,
        code=VariantFactory(product__name="Linen dress").sku,
        wishlist=wedding.pk,
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert selected_list(html) == "Summer wedding"
    added = re.search(r'data-testid="wishlist-added">(.*?)</div>', html, re.S).group(1)
    assert "Added to Summer wedding" in added and "Linen dress" in added

    # The next scan, sent as the page now stands, goes to the same list.
    add(staff_client, customer, code=VariantFactory().sku, wishlist=wedding.pk)
    assert WishlistItem.objects.filter(wishlist=wedding).count() == 2


def test_the_same_item_again_says_which_list_has_it(staff_client, customer, wedding):
    sku = VariantFactory().sku
    add(staff_client, customer, code=sku, wishlist=wedding.pk)
    again = add(staff_client, customer, code=sku, wishlist=wedding.pk)
    assert "Already on Summer wedding" in again.content.decode()


def test_removing_an_item_keeps_the_list_chosen_for_the_next_scan(
    staff_client, customer, wedding
):
    item = add_wishlist_item(
        wishlist=wedding, variant=VariantFactory(), channel=Channel.WEB
    ).item
    url = reverse("staff:customer_wishlist_remove", args=[customer.pk, item.pk])
    response = staff_client.post(url, {"wishlist": wedding.pk}, **HTMX)
    assert response.status_code == 200
    assert selected_list(response.content.decode()) == "Summer wedding"


def test_without_htmx_the_page_comes_back_with_the_list_chosen(
    staff_client, customer, wedding
):
    url = reverse("staff:customer_wishlist_add", args=[customer.pk])
    code = VariantFactory(product__name="Silk tie").sku
    response = staff_client.post(url, {"code": code, "wishlist": wedding.pk})
    assert response.status_code == 302
    page = staff_client.get(response["Location"]).content.decode()
    assert selected_list(page) == "Summer wedding"
    assert "Silk tie" in page and "is on Summer wedding." in page
