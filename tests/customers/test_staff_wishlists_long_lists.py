"""Long wishlists in the shop: the 360° card reads each list's number of items and
only the latest few items; the wishlists page shows the latest 24 items of each list
with a "Show all" link that opens one whole list; both cost the same number of
queries however long the lists."""

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from customers.models import WishlistItem
from customers.services.wishlists import add_wishlist_item, create_wishlist
from omnistore.core.channels import Channel
from tests.customers.factories import make_customer
from tests.factories import LocationFactory, StaffFactory, VariantFactory, stock

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


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
def staff_client(client, associate):
    client.force_login(associate)
    return client


@pytest.fixture
def customer():
    return make_customer(email="martina@example.com", first_name="Martina")


@pytest.fixture
def lists(customer):
    return [
        create_wishlist(customer=customer, name="Everyday", channel=Channel.WEB),
        create_wishlist(customer=customer, name="Wedding", channel=Channel.WEB),
    ]


def fill(wishlist, count, shops, associate, tag) -> None:
    """``count`` items, every other one added by ``associate`` in the shop, each in
    stock at one of ``shops``."""
    for index in range(count):
        variant = VariantFactory(sku=f"{tag}-{index:03}")
        stock(variant, shops[index % len(shops)], 1 + index)
        add_wishlist_item(
            wishlist=wishlist,
            variant=variant,
            actor=associate if index % 2 else None,
            channel=Channel.STORE if index % 2 else Channel.WEB,
        )


def page_url(customer) -> str:
    return reverse("staff:customer_wishlists", args=[customer.pk])


def detail_url(customer) -> str:
    return reverse("staff:customer_detail", args=[customer.pk])


def queries(client, url, **extra) -> int:
    client.get(url, **extra)  # the process's first page fills Django's caches
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, **extra)
    assert response.status_code == 200
    return len(captured)


def card(html: str) -> str:
    return re.search(r'data-testid="wishlist-panel".*?</section>', html, re.S).group(0)


def skus_by_list(html: str) -> dict[str, list[str]]:
    """The SKUs each list card shows, by list name."""
    shown = {}
    for block in re.findall(
        r'data-testid="wishlist">(.*?)(?=data-testid="wishlist"|$)', html, re.S
    ):
        name = re.search(r"<h2>(.*?)</h2>", block).group(1)
        shown[name] = re.findall(
            r'data-testid="wishlist-item" data-sku="([^"]+)"', block
        )
    return shown


def test_the_360_card_shows_each_lists_item_count_and_the_latest_items(
    staff_client, customer, lists, associate, shop, nearby_shop
):
    fill(lists[0], 3, [shop], associate, "DAY")
    fill(lists[1], 7, [nearby_shop], associate, "WED")

    shown = card(staff_client.get(detail_url(customer)).content.decode())

    assert ">10 items<" in shown
    assert "In 2 lists: Everyday (3), Wedding (7)" in shown
    assert "The latest 4 of 10." in shown
    assert shown.count("here</span>") == 4
    assert "0 here" in shown  # the wedding list's items are in Monza only
    assert "added by Giulia Bianchi" in shown


def test_the_360_page_costs_the_same_for_two_wished_items_or_sixty(
    staff_client, customer, lists, associate, shop, nearby_shop
):
    fill(lists[0], 1, [shop, nearby_shop], associate, "DAY")
    fill(lists[1], 1, [shop, nearby_shop], associate, "WED")
    two = queries(staff_client, detail_url(customer))

    fill(lists[0], 29, [shop, nearby_shop], associate, "DAY2")
    fill(lists[1], 29, [shop, nearby_shop], associate, "WED2")

    assert ">60 items<" in card(staff_client.get(detail_url(customer)).content.decode())
    assert queries(staff_client, detail_url(customer)) == two


def test_the_page_shows_each_lists_latest_24_items_and_a_link_to_all_of_them(
    staff_client, customer, lists, associate, shop
):
    fill(lists[0], 30, [shop], associate, "DAY")
    fill(lists[1], 3, [shop], associate, "WED")

    html = staff_client.get(page_url(customer)).content.decode()

    shown = skus_by_list(html)
    assert shown["Everyday"] == [f"DAY-{index:03}" for index in range(29, 5, -1)]
    assert shown["Wedding"] == ["WED-002", "WED-001", "WED-000"]
    assert ">30 items<" in html and ">3 items<" in html
    links = re.findall(r'<a href="([^"]+)"[^>]*data-testid="show-all">([^<]+)<', html)
    assert links == [
        (
            f"{page_url(customer)}?list={lists[0].pk}#wishlist-{lists[0].pk}",
            "Show all 30 items",
        )
    ]


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["page", "htmx"])
def test_show_all_opens_one_whole_list(
    staff_client, customer, lists, associate, shop, headers
):
    fill(lists[0], 30, [shop], associate, "DAY")
    fill(lists[1], 26, [shop], associate, "WED")

    response = staff_client.get(page_url(customer), {"list": lists[1].pk}, **headers)

    html = response.content.decode()
    assert ("<html" in html) is not bool(headers)
    shown = skus_by_list(html)
    assert len(shown["Everyday"]) == 24
    assert shown["Wedding"] == [f"WED-{index:03}" for index in range(25, -1, -1)]
    assert 'data-testid="show-fewer"' in html
    assert html.count('data-testid="show-all"') == 1  # the other list's


@pytest.mark.parametrize("whole", [False, True], ids=["first-items", "whole-list"])
def test_the_page_costs_the_same_for_short_or_long_lists(
    staff_client, customer, lists, associate, shop, nearby_shop, whole
):
    fill(lists[0], 2, [shop, nearby_shop], associate, "DAY")
    fill(lists[1], 2, [shop, nearby_shop], associate, "WED")
    url = f"{page_url(customer)}?list={lists[0].pk}" if whole else page_url(customer)
    short = queries(staff_client, url)

    fill(lists[0], 28, [shop, nearby_shop], associate, "DAY2")
    fill(lists[1], 28, [shop, nearby_shop], associate, "WED2")

    shown = skus_by_list(staff_client.get(url).content.decode())
    assert len(shown["Everyday"]) == (30 if whole else 24)
    assert len(shown["Wedding"]) == 24
    assert queries(staff_client, url) == short


def test_a_removal_from_a_whole_list_keeps_it_whole(
    staff_client, customer, lists, associate, shop
):
    fill(lists[0], 30, [shop], associate, "DAY")
    item = WishlistItem.objects.get(variant__sku="DAY-000")
    remove = reverse("staff:customer_wishlist_remove", args=[customer.pk, item.pk])
    page = staff_client.get(page_url(customer), {"list": lists[0].pk}).content.decode()
    assert f'name="list" value="{lists[0].pk}"' in page

    response = staff_client.post(remove, {"list": lists[0].pk}, **HTMX)

    assert len(skus_by_list(response.content.decode())["Everyday"]) == 29
    response = staff_client.post(
        reverse(
            "staff:customer_wishlist_remove",
            args=[customer.pk, WishlistItem.objects.get(variant__sku="DAY-001").pk],
        ),
        {"list": lists[0].pk},
    )
    assert response["Location"] == f"{page_url(customer)}?list={lists[0].pk}"
