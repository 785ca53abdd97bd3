"""Wishlists in the shop: from the 360° page an associate opens a customer's lists,
adds items by scanning them (on record as theirs, at their shop), sees stock here and
nearby, removes items and hands them to the assisted sale."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from customers.models import CustomerEvent, WishlistItem
from customers.services.erasure import erase_customer
from customers.services.wishlists import (
    add_wishlist_item,
    create_wishlist,
    ensure_default_wishlist,
)
from omnistore.core.channels import Channel
from tests.customers.factories import make_customer
from tests.factories import (
    LocationFactory,
    StaffFactory,
    UserFactory,
    VariantFactory,
    stock,
)

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


def page_url(customer) -> str:
    return reverse("staff:customer_wishlists", args=[customer.pk])


def add_url(customer) -> str:
    return reverse("staff:customer_wishlist_add", args=[customer.pk])


def test_wishlist_screens_need_a_staff_login(client, customer):
    item = add_wishlist_item(
        customer=customer, variant=VariantFactory(), channel=Channel.WEB
    ).item
    remove = reverse("staff:customer_wishlist_remove", args=[customer.pk, item.pk])
    client.force_login(UserFactory())  # a storefront customer
    for response in (
        client.get(page_url(customer)),
        client.post(add_url(customer), {"code": item.variant.sku}),
        client.post(remove),
    ):
        assert response.status_code == 302 and "/staff/login/" in response["Location"]
    assert WishlistItem.objects.filter(removed_at__isnull=True).count() == 1


def test_an_associate_adds_an_item_by_scanning_it_in_the_shop(
    staff_client, customer, associate, shop, nearby_shop
):
    variant = VariantFactory(
        sku="DRS-S", barcode="8012345678901", product__name="Linen dress"
    )
    stock(variant, shop, 1)
    stock(variant, nearby_shop, 4)
    response = staff_client.post(
        add_url(customer), {"code": "8012345678901", "note": "Sand, size S"}, **HTMX
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html  # the section, swapped in place
    assert 'data-testid="wishlist-added"' in html
    assert "added by Giulia Bianchi" in html
    row = re.search(r'data-sku="DRS-S".*?</tr>', html, re.S).group(0)
    assert re.search(r'available-here">\s*<span class="badge qty warn">1<', row)
    assert "Monza" in row and ">4<" in row
    item = WishlistItem.objects.get()
    assert item.wishlist.customer == customer
    assert item.added_by_staff == associate and item.added_at_location == shop
    assert item.added_via == Channel.STORE and item.note == "Sand, size S"
    event = CustomerEvent.objects.get(kind="wishlist_item_added")
    assert event.summary.endswith("by Giulia Bianchi at Milano Centro")


def test_scanning_the_same_item_again_does_not_duplicate_it(staff_client, customer):
    variant = VariantFactory()
    for _ in range(2):
        response = staff_client.post(add_url(customer), {"code": variant.sku}, **HTMX)
        assert response.status_code == 200
    assert "Already on My wishlist" in response.content.decode()
    assert WishlistItem.objects.count() == 1


def test_scanning_again_says_note_updated_only_when_the_note_changed(
    staff_client, customer
):
    variant = VariantFactory()
    first = {"code": variant.sku, "note": "Size S"}
    staff_client.post(add_url(customer), first, **HTMX)
    same = staff_client.post(add_url(customer), {"code": variant.sku}, **HTMX)
    assert "Already on My wishlist" in same.content.decode()
    assert "note updated" not in same.content.decode()
    new_note = {"code": variant.sku, "note": "Size M"}
    changed = staff_client.post(add_url(customer), new_note, **HTMX)
    assert "note updated" in changed.content.decode()
    assert WishlistItem.objects.get().note == "Size M"


def test_an_unknown_code_is_a_422_with_the_form_error_and_nothing_added(
    staff_client, customer
):
    response = staff_client.post(add_url(customer), {"code": "NOPE-1"}, **HTMX)
    assert response.status_code == 422
    assert "No item with SKU or barcode" in response.content.decode()
    gone = VariantFactory(active=False)
    response = staff_client.post(add_url(customer), {"code": gone.sku}, **HTMX)
    assert response.status_code == 422
    assert "discontinued" in response.content.decode()
    assert not WishlistItem.objects.exists()


def test_the_associate_chooses_the_list_when_there_are_several(staff_client, customer):
    ensure_default_wishlist(customer=customer)
    gifts = create_wishlist(customer=customer, name="Gifts", channel=Channel.WEB)
    page = staff_client.get(page_url(customer)).content.decode()
    assert '<select name="wishlist"' in page
    variant = VariantFactory()
    staff_client.post(
        add_url(customer), {"code": variant.sku, "wishlist": gifts.pk}, **HTMX
    )
    assert WishlistItem.objects.get().wishlist == gifts
    # A list of another customer is not a choice.
    other = ensure_default_wishlist(customer=make_customer(phone="3331112222"))
    response = staff_client.post(
        add_url(customer), {"code": VariantFactory().sku, "wishlist": other.pk}, **HTMX
    )
    assert response.status_code == 422
    assert not other.items.exists()


def test_removing_soft_deletes_the_item_and_leaves_a_timeline_event(
    staff_client, customer, associate, shop
):
    item = add_wishlist_item(
        customer=customer, variant=VariantFactory(), channel=Channel.WEB
    ).item
    url = reverse("staff:customer_wishlist_remove", args=[customer.pk, item.pk])
    response = staff_client.post(url, **HTMX)
    assert response.status_code == 200
    assert item.variant.sku not in response.content.decode()
    item.refresh_from_db()
    assert item.removed_at is not None and item.removed_by == associate
    event = CustomerEvent.objects.get(kind="wishlist_item_removed")
    assert event.location == shop and "by Giulia Bianchi" in event.summary
    assert staff_client.post(url, **HTMX).status_code == 404


def test_an_item_of_another_customer_is_not_found(staff_client, customer):
    other = make_customer(phone="333 000 1111")
    item = add_wishlist_item(
        customer=other, variant=VariantFactory(), channel=Channel.WEB
    ).item
    url = reverse("staff:customer_wishlist_remove", args=[customer.pk, item.pk])
    assert staff_client.post(url, **HTMX).status_code == 404
    item.refresh_from_db()
    assert item.removed_at is None


def test_the_360_page_shows_the_wishlist_card_with_stock_here(
    staff_client, customer, associate, shop
):
    variant = VariantFactory(product__name="Silk scarf")
    stock(variant, shop, 3)
    add_wishlist_item(
        customer=customer, variant=variant, actor=associate, channel=Channel.STORE
    )
    html = staff_client.get(
        reverse("staff:customer_detail", args=[customer.pk])
    ).content.decode()
    card = re.search(r'data-testid="wishlist-panel".*?</section>', html, re.S).group(0)
    assert "Silk scarf" in card and "3 here" in card
    assert "added by Giulia Bianchi" in card
    assert page_url(customer) in card


def test_sell_hands_the_item_to_the_assisted_sale_basket(staff_client, customer, shop):
    variant = VariantFactory(sku="SCF-01")
    stock(variant, shop, 2)
    add_wishlist_item(customer=customer, variant=variant, channel=Channel.WEB)
    html = staff_client.get(page_url(customer)).content.decode()
    forms = re.findall(r'<form method="post" action="([^"]+)">(.*?)</form>', html, re.S)
    action, body = next(f for f in forms if 'data-testid="sell-SCF-01"' in f[1])
    assert action == reverse("staff:sale_take")
    fields = dict(re.findall(r'name="(\w+)" value="([^"]*)"', body))
    response = staff_client.post(action, fields)
    assert response.status_code == 302 and response["Location"] == reverse("staff:sale")
    sale = staff_client.get(reverse("staff:sale")).content.decode()
    assert "SCF-01" in sale
    # The wishlist's owner comes along: the sale is theirs without a second look-up.
    assert staff_client.session["sale_customer"]["customer_id"] == customer.pk
    assert 'data-testid="attached-customer"' in sale
    assert WishlistItem.objects.get().removed_at is None  # still wished for


def test_an_erased_profile_is_not_put_on_the_sale(staff_client, customer, shop):
    variant = VariantFactory(sku="SCF-01")
    stock(variant, shop, 2)
    erase_customer(customer=customer)
    response = staff_client.post(
        reverse("staff:sale_take"),
        {"code": "SCF-01", "quantity": "1", "customer": str(customer.pk)},
        follow=True,
    )
    shown = [str(m) for m in response.context["messages"]]
    assert shown == ["This profile was erased: the sale has no customer."]
    assert "sale_customer" not in staff_client.session
    assert "SCF-01" in response.content.decode()  # the item still went in


def _fill(customer, shops, count, associate):
    wishlists = [
        ensure_default_wishlist(customer=customer),
        create_wishlist(customer=customer, name="Gifts", channel=Channel.WEB),
    ]
    for i in range(count):
        variant = VariantFactory()
        stock(variant, shops[i % len(shops)], 1 + i)
        add_wishlist_item(
            wishlist=wishlists[i % 2],
            variant=variant,
            actor=associate if i % 2 else None,
            channel=Channel.STORE if i % 2 else Channel.WEB,
        )


@pytest.mark.parametrize("count", [2, 14])
def test_the_wishlist_page_costs_a_fixed_number_of_queries(
    staff_client,
    customer,
    associate,
    shop,
    nearby_shop,
    django_assert_max_num_queries,
    tax_table_kept,
    count,
):
    _fill(customer, [shop, nearby_shop], count, associate)
    # session, user, shop, customer, lists, items, their pictures, nearby shops,
    # levels; the shop's prices are the catalogue's (markets are kept by the process)
    with django_assert_max_num_queries(9):
        response = staff_client.get(page_url(customer))
    assert response.status_code == 200
    assert response.content.decode().count('data-testid="wishlist-item"') == count


@pytest.mark.parametrize("count", [2, 14])
def test_the_wishlist_card_costs_a_fixed_number_of_queries(
    rf, customer, associate, shop, nearby_shop, django_assert_max_num_queries, count
):
    from customers.staff.wishlists import customer_wishlist_panel

    _fill(customer, [shop, nearby_shop], count, associate)
    request = rf.get("/")
    request.user = associate
    request.user.store  # noqa: B018 - the signed-in user arrives with their shop
    with django_assert_max_num_queries(4):  # lists, latest items, pictures, levels
        panel = customer_wishlist_panel(request, customer)
    assert panel["item_count"] == count and len(panel["items"]) == min(count, 4)


def test_without_htmx_a_scan_redirects_back_to_the_lists_with_a_message(
    staff_client, customer
):
    variant = VariantFactory(product__name="Wool coat")
    response = staff_client.post(add_url(customer), {"code": variant.sku})
    assert response.status_code == 302 and response["Location"] == page_url(customer)
    page = staff_client.get(page_url(customer)).content.decode()
    assert "Wool coat" in page and "is on My wishlist." in page
    response = staff_client.post(add_url(customer), {"code": "NOPE"}, follow=True)
    assert "No item with SKU or barcode" in response.content.decode()
    assert WishlistItem.objects.count() == 1
