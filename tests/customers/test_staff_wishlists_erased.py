"""An erased customer's wishlists in the shop are read-only, as their addresses are:
the page shows what was wished for, anonymous, with no scan form, no Sell and no
Remove, and says why; a removal or a scan sent anyway (with or without HTMX) is
refused with the reason, and nothing changes."""

from __future__ import annotations

from decimal import Decimal
from html import unescape

import pytest
from django.urls import reverse

from customers.models import CustomerEvent, WishlistItem
from customers.services.erasure import erase_customer
from customers.services.wishlists import add_wishlist_item
from omnistore.core.channels import Channel
from tests.customers.factories import make_customer
from tests.factories import LocationFactory, StaffFactory, VariantFactory, stock

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
ERASED_LINE = "This profile was erased: its wishlists are kept anonymous"


@pytest.fixture
def shop():
    return LocationFactory(
        name="Milano Centro", latitude=Decimal("45.4642"), longitude=Decimal("9.19")
    )


@pytest.fixture
def staff_client(client, shop):
    client.force_login(StaffFactory(store=shop))
    return client


@pytest.fixture
def wished(shop):
    """Martina's scarf on her list (sold and stocked here), before her data is
    erased."""
    customer = make_customer(email="martina@example.com", first_name="Martina")
    variant = VariantFactory(sku="SCF-01", product__name="Silk scarf")
    stock(variant, shop, 2)
    item = add_wishlist_item(
        customer=customer, variant=variant, channel=Channel.WEB
    ).item
    return customer, item


def page_url(customer) -> str:
    return reverse("staff:customer_wishlists", args=[customer.pk])


def remove_url(customer, item) -> str:
    return reverse("staff:customer_wishlist_remove", args=[customer.pk, item.pk])


def test_an_erased_profile_shows_its_lists_read_only_and_says_why(staff_client, wished):
    customer, _ = wished
    live = staff_client.get(page_url(customer)).content.decode()
    for testid in ("wishlist-add", "sell-SCF-01", "remove-SCF-01"):
        assert f'data-testid="{testid}"' in live
    assert 'data-testid="wishlist-erased"' not in live
    erase_customer(customer=customer)

    response = staff_client.get(page_url(customer))

    assert response.status_code == 200
    html = unescape(response.content.decode())
    assert "Silk scarf" in html  # what was wished for stays, anonymous
    assert ERASED_LINE in html
    assert "Erased customer" in html
    for testid in ("wishlist-add", "sell-SCF-01", "remove-SCF-01"):
        assert f'data-testid="{testid}"' not in html
    assert 'id="wishlist-scan"' not in html
    assert reverse("staff:sale_take") not in html


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_a_removal_sent_anyway_is_refused_and_changes_nothing(
    staff_client, wished, headers
):
    customer, item = wished
    erase_customer(customer=customer)
    events = CustomerEvent.objects.filter(customer=customer).count()

    response = staff_client.post(remove_url(customer, item), follow=True, **headers)

    assert response.status_code == (422 if headers else 200)
    html = unescape(response.content.decode())
    assert "This profile was erased." in html
    assert ERASED_LINE in html
    assert 'data-testid="remove-SCF-01"' not in html
    item.refresh_from_db()
    assert item.removed_at is None
    assert CustomerEvent.objects.filter(customer=customer).count() == events


def test_a_scan_sent_anyway_is_refused_on_the_read_only_page(staff_client, wished):
    customer, _ = wished
    erase_customer(customer=customer)
    other = VariantFactory(sku="BAG-02")

    response = staff_client.post(
        reverse("staff:customer_wishlist_add", args=[customer.pk]),
        {"code": other.sku},
        **HTMX,
    )

    assert response.status_code == 422
    html = unescape(response.content.decode())
    assert "This profile was erased." in html
    assert ERASED_LINE in html
    assert 'id="wishlist-scan"' not in html
    assert not WishlistItem.objects.filter(variant=other).exists()
