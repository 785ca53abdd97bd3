"""The phone a buyer gives at checkout, guest or signed in, cart or buy-now: kept in
E.164 as the customers app keeps phones, so the pickup desk and the admin find the
order by it however it is typed; a phone that is no number is a 400 on ``phone``."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from orders.models import Cart, Order
from orders.services.common import request_fingerprint, tenders_fingerprint
from orders.services.fulfilment import mark_picked, mark_ready
from orders.services.payments import PaymentRequest
from tests.factories import StaffFactory, UserFactory
from tests.orders.factories import shop, stocked, warehouse
from tests.orders.returns_helpers import shopper

from .test_api_buy_now import buy_now
from .test_api_checkout import CARD, cart_with, checkout

pytestmark = pytest.mark.django_db

TYPED = "0039 333 1234567"
E164 = "+393331234567"
BERLIN = {
    "line1": "Unter den Linden 5",
    "city": "Berlin",
    "postcode": "10117",
    "country": "DE",
}


def signed_in() -> APIClient:
    user, _ = shopper("ada@example.com")
    client = APIClient()
    client.force_authenticate(user)
    return client


def buy(client, store, item, **body):
    return buy_now(
        client,
        fulfilment="pickup",
        store=store.pk,
        lines=[{"variant": item.pk}],
        **body,
    )


def cart_checkout(client, store, item, **body):
    cart_with(client, (item, 1))
    return checkout(client, fulfilment="pickup", store=store.pk, **body)


@pytest.mark.parametrize("place", [buy, cart_checkout])
@pytest.mark.parametrize("who", ["guest", "signed_in"])
def test_the_phone_given_at_checkout_is_kept_in_e164(place, who):
    store = shop()
    item = stocked(store, 5)
    client = signed_in() if who == "signed_in" else APIClient()

    response = place(client, store, item, phone=TYPED)

    assert response.status_code == 201, response.json()
    assert Order.objects.get().phone == E164


def test_a_national_number_is_read_in_the_pickup_shop_s_country():
    store = shop(country="DE")
    item = stocked(store, 5)

    response = buy(signed_in(), store, item, phone="030 1234567")

    assert response.status_code == 201, response.json()
    assert Order.objects.get().phone == "+49301234567"


def test_a_national_number_is_read_in_the_delivery_country_online():
    item = stocked(warehouse(), 5)

    response = buy_now(
        fulfilment="delivery",
        address=BERLIN,
        phone="030 1234567",
        lines=[{"variant": item.pk}],
    )

    assert response.status_code == 201, response.json()
    assert Order.objects.get().phone == "+49301234567"


def test_the_pickup_desk_and_the_admin_find_a_signed_in_buyer_s_order_by_phone(
    client,
):
    store = shop()
    item = stocked(store, 5)
    placed = buy(signed_in(), store, item, phone=TYPED)
    assert placed.status_code == 201, placed.json()
    order = Order.objects.get()
    mark_picked(order=order)
    mark_ready(order=order)

    client.force_login(StaffFactory(store=store))
    desk = client.get(reverse("staff:pickup_desk"), {"q": "+39 333 1234567"})
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    admin = client.get("/admin/orders/order/", {"q": "+39 333 1234567"})

    assert order.number in desk.content.decode()
    assert order.number in admin.content.decode()


@pytest.mark.parametrize("place", [buy, cart_checkout])
@pytest.mark.parametrize("who", ["guest", "signed_in"])
def test_a_phone_that_is_no_number_is_a_400_on_phone_and_nothing_is_ordered(place, who):
    store = shop()
    item = stocked(store, 5)
    client = signed_in() if who == "signed_in" else APIClient()

    response = place(client, store, item, phone="hello")

    assert response.status_code == 400, response.json()
    assert response.json()["extra"] == {"phone": ["Enter a valid phone number."]}
    assert not Order.objects.exists()


@pytest.mark.parametrize("place", [buy, cart_checkout])
def test_a_keyed_checkout_with_a_phone_sent_again_is_its_replay(place):
    store = shop()
    item = stocked(store, 5)
    client = signed_in()
    first = place(client, store, item, phone=TYPED, key="phone-1")
    assert first.status_code == 201, first.json()

    again = (
        buy(client, store, item, phone=TYPED, key="phone-1")
        if place is buy
        else checkout(
            client, key="phone-1", fulfilment="pickup", store=store.pk, phone=TYPED
        )
    )

    assert again.status_code == 200, again.json()
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["number"] == first.json()["number"]
    assert Order.objects.count() == 1


def cart_retry(client, store, phone, key):
    return checkout(client, key=key, fulfilment="pickup", store=store.pk, phone=phone)


def buy_retry(client, store, item, phone, key):
    return buy(client, store, item, phone=phone, key=key)


@pytest.mark.parametrize("who", ["guest", "signed_in"])
@pytest.mark.parametrize("place", [buy, cart_checkout])
def test_a_keyed_checkout_sent_again_with_the_phone_typed_another_way_is_its_replay(
    place, who
):
    store = shop()
    item = stocked(store, 5)
    client = signed_in() if who == "signed_in" else APIClient()
    first = place(client, store, item, phone="02 1234 5678", key="phone-2")
    assert first.status_code == 201, first.json()
    assert Order.objects.get().phone == "+390212345678"

    again = (
        buy_retry(client, store, item, "+39 02 1234 5678", "phone-2")
        if place is buy
        else cart_retry(client, store, "+39 02 1234 5678", "phone-2")
    )

    assert again.status_code == 200, again.json()
    assert again.json()["number"] == first.json()["number"]
    assert Order.objects.count() == 1


def test_a_cart_checkout_s_national_number_is_read_in_the_pickup_shop_s_country():
    """Sent again in full international form, the same Berlin number is the same
    request; a Milan number typed the same way is another."""
    store = shop(country="DE")
    item = stocked(store, 5)
    client = signed_in()
    first = cart_checkout(client, store, item, phone="030 1234567", key="phone-3")
    assert first.status_code == 201, first.json()

    again = cart_retry(client, store, "+49 30 1234567", "phone-3")
    other = cart_retry(client, store, "+39 030 1234567", "phone-3")

    assert again.status_code == 200, again.json()
    assert other.status_code == 409, other.json()
    assert other.json()["code"] == "idempotency_key_reused"


def test_a_cart_checkout_s_national_number_is_read_in_the_delivery_country():
    item = stocked(warehouse(), 5)
    client = APIClient()
    cart_with(client, (item, 1))

    def deliver(phone):
        return checkout(
            client, key="phone-4", fulfilment="delivery", address=BERLIN, phone=phone
        )

    assert deliver("030 1234567").status_code == 201
    assert Order.objects.get().phone == "+49301234567"
    assert deliver("+49 30 1234567").status_code == 200
    assert deliver("+39 030 1234567").status_code == 409


def test_a_cart_checkout_keyed_before_the_phone_was_kept_in_e164_still_replays():
    """An order whose key was recorded with the phone as typed: the retry sent exactly
    as it was is its replay, not a 409."""
    store = shop()
    item = stocked(store, 5)
    client = APIClient()
    first = cart_checkout(client, store, item, phone="02 1234 5678", key="phone-5")
    assert first.status_code == 201, first.json()
    order = Order.objects.get()
    asked = {
        "channel": "web",
        "fulfilment": "pickup",
        "pickup_store": store.pk,
        "address": None,
        "email": "guest@example.com",
        "phone": "02 1234 5678",
        "first_name": "",
        "last_name": "",
        "discount_code": "",
    }
    cart = Cart.objects.get(order=order)
    card = PaymentRequest(method=CARD["method"], token=CARD["token"])
    order.idempotency_fingerprint = request_fingerprint(
        cart.pk, asked, tenders_fingerprint([card])
    )
    order.save(update_fields=["idempotency_fingerprint"])

    again = cart_retry(client, store, "02 1234 5678", "phone-5")

    assert again.status_code == 200, again.json()
    assert again.json()["number"] == order.number
    assert cart_retry(client, store, "02 1234 5679", "phone-5").status_code == 409


def test_the_schema_says_how_the_phone_is_kept(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    for name in ("CheckoutInputRequest", "BuyNowInputRequest"):
        phone = schema["components"]["schemas"][name]["properties"]["phone"]
        assert "E.164" in phone["description"], name
