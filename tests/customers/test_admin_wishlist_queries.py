"""A wishlist's page in the admin lists its items (what, where added, by which
channel) for the same number of queries however long the list."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from customers.services.wishlists import add_wishlist_item, ensure_default_wishlist
from omnistore.accounts.models import Role
from omnistore.core.channels import Channel
from tests.customers.factories import make_customer
from tests.factories import LocationFactory, StaffFactory, UserFactory, VariantFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def hq(client):
    client.force_login(
        UserFactory(username="boss", role=Role.HQ, is_staff=True, is_superuser=True)
    )
    return client


@pytest.fixture
def shops():
    return [LocationFactory(name="Milano Centro"), LocationFactory(name="Monza")]


def wish(wishlist, shops, count: int, start: int = 0) -> None:
    for index in range(start, start + count):
        shop = shops[index % 2]
        add_wishlist_item(
            wishlist=wishlist,
            variant=VariantFactory(
                sku=f"WSH-{index:03}", product__name=f"Shirt {index}"
            ),
            actor=StaffFactory(store=shop),
            location=shop,
            channel=Channel.STORE,
        )


def queries(client, url) -> int:
    client.get(url)  # the process's first page fills Django's caches
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def test_a_wishlists_page_costs_the_same_for_two_items_or_twelve(hq, shops):
    wishlist = ensure_default_wishlist(customer=make_customer(email="m@example.com"))
    page = reverse("admin:customers_wishlist_change", args=[wishlist.pk])
    wish(wishlist, shops, 2)
    two = queries(hq, page)

    wish(wishlist, shops, 10, start=2)
    html = hq.get(page).content.decode()

    assert all(f"WSH-{index:03} · Shirt {index}" in html for index in range(12))
    assert "Monza (" in html and "Milano Centro (" in html
    assert queries(hq, page) == two
