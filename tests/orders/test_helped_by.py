"""Helped-by attribution: a counter line credits the associate the cashier names
(not only the cashier); an online order through an associate's shared wishlist link
credits that associate, and a plain checkout costs not one statement more."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from customers.services.matching import match_customer
from customers.services.wishlists import add_wishlist_item
from omnistore.core.channels import Channel
from omnistore.core.exceptions import Conflict, ValidationFailed
from orders.models import Cart, CartLine, Order, OrderLine, PaymentMethod
from orders.services.attribution import set_line_helper
from tests.customers.factories import CustomerUserFactory
from tests.factories import LocationFactory, StaffFactory, VariantFactory, stock
from tests.orders.factories import shop, stocked
from tests.orders.till_helpers import open_counter_till

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
CARD = {"method": "card_online", "token": "tok_visa"}


@pytest.fixture
def counter_shop():
    return LocationFactory(code="MI01", name="Milano Centro")


@pytest.fixture
def cashier(counter_shop):
    return StaffFactory(store=counter_shop, first_name="Carla", last_name="Cassa")


@pytest.fixture
def helper(counter_shop):
    return StaffFactory(store=counter_shop, first_name="Giulia", last_name="Bianchi")


@pytest.fixture
def counter(client, cashier):
    client.force_login(cashier)
    open_counter_till(cashier)
    return client


@pytest.fixture
def shirt(counter_shop):
    item = VariantFactory(sku="SHIRT-M", price="40.00")
    stock(item, counter_shop, 5)
    return item


@pytest.fixture
def belt(counter_shop):
    item = VariantFactory(sku="BELT-B", price="15.00")
    stock(item, counter_shop, 5)
    return item


def sale_line(client, variant) -> CartLine:
    cart = Cart.objects.get(token=client.session["sale_cart_token"])
    return cart.lines.get(variant=variant)


def helper_url(line) -> str:
    return reverse("staff:sale_line_helper", args=[line.pk])


def test_the_cashier_names_who_helped_per_line_and_the_order_lines_keep_it(
    counter, cashier, helper, shirt, belt
):
    for item in (shirt, belt):
        counter.post(reverse("staff:sale_add"), {"code": item.sku}, **HTMX)
    line = sale_line(counter, shirt)
    picker = counter.get(helper_url(line), **HTMX).content.decode()
    assert "Giulia Bianchi" in picker and "Carla Cassa" in picker
    response = counter.post(helper_url(line), {"helper": helper.pk}, **HTMX)
    assert response.status_code == 200
    assert "Helped by: Giulia Bianchi" in response.content.decode()
    assert "Helped by: the cashier" in response.content.decode()  # the belt

    response = counter.post(
        reverse("staff:sale_checkout"),
        {"mode": "carry_out", "method_1": PaymentMethod.CASH},
        **HTMX,
    )
    assert response.status_code in (200, 302), response.content[:500]
    order = Order.objects.get()
    assert order.staff_member == cashier
    helped = dict(order.lines.values_list("sku", "helped_by"))
    assert helped == {"SHIRT-M": helper.pk, "BELT-B": None}


def test_a_helper_can_be_cleared_and_only_this_shops_associates_are_offered(
    counter, helper, shirt
):
    counter.post(reverse("staff:sale_add"), {"code": shirt.sku}, **HTMX)
    line = sale_line(counter, shirt)
    elsewhere = StaffFactory(store=LocationFactory(), first_name="Remo")
    assert "Remo" not in counter.get(helper_url(line), **HTMX).content.decode()
    refused = counter.post(helper_url(line), {"helper": elsewhere.pk}, **HTMX)
    assert refused.status_code == 422
    assert "Pick an associate of this shop." in refused.content.decode()
    for bad in ({"helper": "abc"}, {"helper": "-3"}):
        assert counter.post(helper_url(line), bad, **HTMX).status_code == 422
    counter.post(helper_url(line), {"helper": helper.pk}, **HTMX)
    assert sale_line(counter, shirt).helped_by == helper
    counter.post(helper_url(line), {"helper": ""}, **HTMX)
    assert sale_line(counter, shirt).helped_by is None


def test_another_baskets_line_is_not_found(counter, client, helper, shirt):
    other = Cart.objects.create(token="someone-else", channel=Channel.STORE)
    line = CartLine.objects.create(cart=other, variant=shirt, quantity=1)
    counter.post(reverse("staff:sale_add"), {"code": shirt.sku}, **HTMX)
    assert counter.get(helper_url(line), **HTMX).status_code == 404
    response = counter.post(helper_url(line), {"helper": helper.pk}, **HTMX)
    assert response.status_code == 404
    assert CartLine.objects.get(pk=line.pk).helped_by is None


def test_the_service_refuses_an_online_cart(helper, counter_shop, shirt):
    cart = Cart.objects.create(token="web-cart", channel=Channel.WEB)
    line = CartLine.objects.create(cart=cart, variant=shirt, quantity=1)
    with pytest.raises(Conflict):
        set_line_helper(
            cart=cart, line_id=line.pk, helper_id=helper.pk, location=counter_shop
        )
    store_cart = Cart.objects.create(token="counter-cart", channel=Channel.STORE)
    line = CartLine.objects.create(cart=store_cart, variant=shirt, quantity=1)
    with pytest.raises(ValidationFailed):
        set_line_helper(
            cart=store_cart, line_id=line.pk, helper_id=999999, location=counter_shop
        )


# --- online, through a shared wishlist link -----------------------------------------


def shared_list(associate, *variants):
    owner = match_customer(email="owner@example.com", channel="web")
    for variant in variants:
        item = add_wishlist_item(
            customer=owner, variant=variant, actor=associate, channel=Channel.STORE
        ).item
    return item.wishlist.share_token


def add_lines(client, lines, **extra):
    response = client.post(
        "/api/v1/cart/lines/",
        {"lines": [{"variant": v.pk, "quantity": q} for v, q in lines], **extra},
        format="json",
    )
    assert response.status_code == 201, response.json()
    return response


def test_an_order_through_a_shared_wishlist_link_credits_its_associate():
    store = shop()
    a, b, c = stocked(store, 5), stocked(store, 5), stocked(store, 5)
    giulia = StaffFactory(store=store, first_name="Giulia")
    paolo = StaffFactory(store=store, first_name="Paolo")
    token = shared_list(giulia, a)
    add_wishlist_item(
        customer=match_customer(email="owner@example.com", channel="web"),
        variant=b,
        actor=paolo,
        channel=Channel.STORE,
    )
    client = APIClient()
    client.credentials(HTTP_X_CART_TOKEN=client.post("/api/v1/cart/").json()["token"])
    add_lines(client, [(a, 1), (b, 1)], via_wishlist=token)
    add_lines(client, [(c, 1)])  # not from the link: credits nobody
    response = client.post(
        "/api/v1/checkout/",
        {
            "payment": CARD,
            "email": "friend@example.com",
            "fulfilment": "pickup",
            "store": store.pk,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    lines = {line.variant_id: line.helped_by_id for line in OrderLine.objects.all()}
    # Each line credits who added it to the list; one not on the list, the latest.
    assert lines == {a.pk: giulia.pk, b.pk: paolo.pk, c.pk: None}


def test_a_variant_not_on_the_list_credits_the_lists_latest_associate():
    store = shop()
    a, other = stocked(store, 5), stocked(store, 5)
    giulia = StaffFactory(store=store)
    token = shared_list(giulia, a)
    client = APIClient()
    client.credentials(HTTP_X_CART_TOKEN=client.post("/api/v1/cart/").json()["token"])
    add_lines(client, [(other, 1)], via_wishlist=token)
    assert CartLine.objects.get().helped_by == giulia


@pytest.mark.parametrize("token", ["unknown-token", "", "x" * 40])
def test_an_unknown_or_empty_link_credits_nobody(token):
    store = shop()
    a = stocked(store, 5)
    client = APIClient()
    client.credentials(HTTP_X_CART_TOKEN=client.post("/api/v1/cart/").json()["token"])
    add_lines(client, [(a, 1)], via_wishlist=token)
    assert CartLine.objects.get().helped_by is None


@pytest.mark.parametrize("token", ["x" * 41, 12, ["a"]])
def test_a_malformed_link_token_is_a_400(token):
    store = shop()
    a = stocked(store, 5)
    client = APIClient()
    response = client.post(
        "/api/v1/cart/lines/",
        {"lines": [{"variant": a.pk, "quantity": 1}], "via_wishlist": token},
        format="json",
    )
    assert response.status_code == 400


def test_a_signed_in_customer_keeps_the_credit_when_their_cart_folds(settings):
    store = shop()
    a = stocked(store, 5)
    giulia = StaffFactory(store=store)
    token = shared_list(giulia, a)
    client = APIClient()
    cart_token = client.post("/api/v1/cart/").json()["token"]
    client.credentials(HTTP_X_CART_TOKEN=cart_token)
    add_lines(client, [(a, 1)], via_wishlist=token)
    user = CustomerUserFactory()
    client.force_authenticate(user)
    add_lines(client, [(a, 1)])  # the first write signed in folds the visitor's cart
    line = CartLine.objects.get(cart__customer=user.customer_profile)
    assert line.quantity == 2 and line.helped_by == giulia


def test_a_plain_checkout_costs_no_statement_more_with_attribution_in_place(
    settings, tax_table_kept
):
    """The same two-line pickup checkout, with and without a wishlist link: the
    credited one sends exactly as many statements."""
    store = shop()
    giulia = StaffFactory(store=store)

    def run(via: str) -> int:
        a, b = stocked(store, 5), stocked(store, 5)
        token = shared_list(giulia, a, b) if via else ""
        client = APIClient()
        client.credentials(
            HTTP_X_CART_TOKEN=client.post("/api/v1/cart/").json()["token"]
        )
        add_lines(client, [(a, 1), (b, 1)], **({"via_wishlist": token} if via else {}))
        with CaptureQueriesContext(connection) as queries:
            response = client.post(
                "/api/v1/checkout/",
                {
                    "payment": CARD,
                    "email": "same@example.com",
                    "fulfilment": "pickup",
                    "store": store.pk,
                },
                format="json",
            )
        assert response.status_code == 201, response.json()
        return len(queries)

    run("")  # warm the per-process caches
    plain = run("")
    credited = run("yes")
    assert credited == plain
    assert OrderLine.objects.filter(helped_by=giulia).count() == 2
