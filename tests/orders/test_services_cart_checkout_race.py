"""A cart changed by another device while it is checked out: the order holds what the
cart shows, or the change is refused; an item added never vanishes with a 201."""

import threading

import pytest
from rest_framework.test import APIClient

from omnistore.core.exceptions import Conflict
from orders.models import Cart, CartLine, CartStatus, Order
from orders.services.carts import add_cart_lines
from orders.services.checkout import LineRequest, place_order
from orders.services.payments import PaymentRequest
from tests.concurrency import run_parallel
from tests.factories import stock
from tests.orders.factories import shop, stocked, warehouse

CARD = {"method": "card_online", "token": "tok_visa"}


def cart_with(client, *items) -> Cart:
    token = client.post("/api/v1/cart/").json()["token"]
    client.credentials(HTTP_X_CART_TOKEN=token)
    for item in items:
        added = client.post("/api/v1/cart/lines/", {"variant": item.pk}, format="json")
        assert added.status_code == 201, added.json()
    return Cart.objects.get(token=token)


@pytest.mark.django_db
def test_a_checkout_that_read_the_cart_before_another_device_added_is_refused():
    store = shop()
    first, second = stocked(store, 5), stocked(store, 5)
    client = APIClient()
    read_by_checkout = cart_with(client, first)  # as the checkout read it
    other_device = client.post(
        "/api/v1/cart/lines/", {"variant": second.pk}, format="json"
    )
    assert other_device.status_code == 201

    with pytest.raises(Conflict) as refused:
        place_order(
            lines=[LineRequest(first, 1)],
            channel="web",
            fulfilment="pickup",
            pickup_store=store,
            email="ada@example.com",
            payments=[PaymentRequest(method="card_online", token="tok_visa")],
            cart=read_by_checkout,
        )

    assert refused.value.code == "cart_changed"
    assert not Order.objects.exists()
    cart = Cart.objects.get()
    assert cart.status == CartStatus.OPEN
    assert set(cart.lines.values_list("variant_id", flat=True)) == {
        first.pk,
        second.pk,
    }


@pytest.mark.django_db
def test_an_item_added_to_a_cart_checked_out_meanwhile_is_refused():
    store = shop()
    first, second = stocked(store, 5), stocked(store, 5)
    client = APIClient()
    cart = cart_with(client, first)
    read_by_other_device = Cart.objects.get(pk=cart.pk)
    placed = client.post(
        "/api/v1/checkout/",
        {"payment": CARD, "email": "ada@example.com", "fulfilment": "pickup"}
        | {"store": store.pk},
        format="json",
    )
    assert placed.status_code == 201, placed.json()

    with pytest.raises(Conflict) as refused:
        add_cart_lines(cart=read_by_other_device, lines=[(second.pk, 1)])

    assert refused.value.code == "cart_closed"
    assert list(CartLine.objects.values_list("variant_id", flat=True)) == [first.pk]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_adds_racing_checkouts_end_in_the_order_or_the_cart_or_are_refused():
    store = shop()
    items = [stocked(store, 50) for _ in range(3)]
    for round_ in range(6):
        client = APIClient()
        cart_with(client, items[0])
        added_variant = items[1 + round_ % 2]
        start = threading.Barrier(2)

        def check_out(client=client, start=start, email=f"r{round_}@example.com"):
            start.wait(5)
            body = {"payment": CARD, "email": email}
            body |= {"fulfilment": "pickup", "store": store.pk}
            return client.post("/api/v1/checkout/", body, format="json")

        def add(client=client, variant=added_variant, start=start):
            start.wait(5)
            return client.post(
                "/api/v1/cart/lines/", {"variant": variant.pk}, format="json"
            )

        placed, added = run_parallel([check_out, add])
        assert placed.status_code in (201, 409), placed.content
        assert added.status_code in (201, 404, 409), added.content
        if added.status_code != 201:
            continue
        in_order = set(
            Order.objects.filter(number=placed.json().get("number")).values_list(
                "lines__variant_id", flat=True
            )
        )
        in_open_cart = set(
            CartLine.objects.filter(cart__status=CartStatus.OPEN).values_list(
                "variant_id", flat=True
            )
        )
        assert added_variant.pk in in_order | in_open_cart, (round_, placed.json())
        CartLine.objects.filter(cart__status=CartStatus.OPEN).delete()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_cart_checkouts_racing_for_the_last_units_choose_again_and_sell_them_all():
    first, second = warehouse(), warehouse()
    item = stocked(first, 3)
    stock(item, second, 3)
    clients = []
    for _ in range(10):
        client = APIClient()
        cart_with(client, item)
        clients.append(client)
    address = {"line1": "Via Torino 1", "city": "Milano", "postcode": "20123"}

    def check_out(client, n):
        body = {"payment": CARD, "email": f"c{n}@example.com", "address": address}
        return client.post(
            "/api/v1/checkout/", body | {"fulfilment": "delivery"}, format="json"
        )

    answers = run_parallel(
        [(lambda c=c, n=n: check_out(c, n)) for n, c in enumerate(clients)]
    )
    codes = sorted(a.status_code for a in answers)
    assert set(codes) <= {201, 409}, [a.content for a in answers]
    for n, client in enumerate(clients):
        if Cart.objects.filter(
            token=client._credentials["HTTP_X_CART_TOKEN"], status=CartStatus.OPEN
        ).exists():
            check_out(client, 100 + n)
    assert Order.objects.count() == 6
    assert Cart.objects.filter(status=CartStatus.CONVERTED).count() == 6
