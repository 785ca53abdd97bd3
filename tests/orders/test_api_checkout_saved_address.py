"""Checkout to a saved address: a signed-in customer sends ``address_id`` instead of
typing the address again; the order keeps its own copy of it."""

import pytest
from rest_framework.test import APIClient

from customers.models import Address
from orders.models import Order
from tests.customers.factories import CustomerUserFactory
from tests.orders.factories import stocked, warehouse

pytestmark = pytest.mark.django_db

CARD = {"method": "card_online", "token": "tok_visa"}
ADDRESSES = "/api/v1/me/addresses/"
HOME = {
    "label": "Home",
    "name": "Nora Galli",
    "line1": "Via Torino 1",
    "line2": "Scala B",
    "city": "Milano",
    "postcode": "20123",
    "country": "it",
    "phone": "+39 333 222 1111",
}
TYPED = {"line1": "Corso Como 10", "city": "Milano", "postcode": "20154"}


def signed_in(user=None) -> APIClient:
    client = APIClient()
    client.force_authenticate(user or CustomerUserFactory())
    return client


def saved(client, **fields) -> int:
    response = client.post(ADDRESSES, {**HOME, **fields}, format="json")
    assert response.status_code == 201, response.json()
    return response.json()["id"]


def in_cart(client, variant, quantity=1):
    response = client.post(
        "/api/v1/cart/lines/",
        {"lines": [{"variant": variant.pk, "quantity": quantity}]},
        format="json",
    )
    assert response.status_code == 201, response.json()


def checkout(client, **body):
    body = {"payment": CARD, "fulfilment": "delivery", **body}
    return client.post("/api/v1/checkout/", body, format="json")


def buy_now(client, variant, **body):
    body = {
        "payment": CARD,
        "fulfilment": "delivery",
        "lines": [{"variant": variant.pk, "quantity": 1}],
        **body,
    }
    return client.post("/api/v1/checkout/buy-now/", body, format="json")


def delivered_to(order) -> dict:
    (fulfilment,) = order.fulfilments.all()
    return fulfilment.address


AS_SAVED = {
    "name": "Nora Galli",
    "line1": "Via Torino 1",
    "line2": "Scala B",
    "city": "Milano",
    "postcode": "20123",
    "country": "IT",
    "phone": "+39 333 222 1111",
}


def test_checkout_to_a_saved_address_delivers_there_and_keeps_its_own_copy():
    item = stocked(warehouse(), 5)
    client = signed_in()
    address_id = saved(client)
    in_cart(client, item)

    response = checkout(client, address_id=address_id)

    assert response.status_code == 201, response.json()
    order = Order.objects.get()
    assert delivered_to(order) == AS_SAVED
    assert [f["address"] for f in response.json()["fulfilments"]] == [AS_SAVED]

    edited = client.patch(
        f"{ADDRESSES}{address_id}/",
        {"line1": "Via Roma 99", "city": "Torino", "postcode": "10121"},
        format="json",
    )
    assert edited.status_code == 200, edited.json()
    assert delivered_to(order) == AS_SAVED
    assert client.delete(f"{ADDRESSES}{address_id}/").status_code == 204
    assert delivered_to(order) == AS_SAVED
    again = client.get(f"/api/v1/orders/{order.number}/")
    assert [f["address"] for f in again.json()["fulfilments"]] == [AS_SAVED]


def test_buy_now_takes_a_saved_address_too():
    item = stocked(warehouse(), 5)
    client = signed_in()
    saved(client)
    office = saved(client, label="Office", line1="Corso Como 10", postcode="20154")

    response = buy_now(client, item, address_id=office)

    assert response.status_code == 201, response.json()
    address = delivered_to(Order.objects.get())
    assert (address["line1"], address["postcode"]) == ("Corso Como 10", "20154")


def test_an_address_typed_and_a_saved_one_together_are_refused_on_address_id():
    item = stocked(warehouse(), 5)
    client = signed_in()
    address_id = saved(client)
    in_cart(client, item)

    response = checkout(client, address=TYPED, address_id=address_id)

    assert response.status_code == 400
    assert set(response.json()["extra"]) == {"address_id"}
    assert not Order.objects.exists()


def test_a_delivery_with_no_address_at_all_keeps_its_refusal_on_address():
    item = stocked(warehouse(), 5)
    client = signed_in()
    saved(client)
    in_cart(client, item)

    response = checkout(client)

    assert response.status_code == 400
    assert response.json()["extra"] == {"address": ["A delivery address is required."]}
    assert not Order.objects.exists()


def test_another_customer_s_address_is_refused_as_an_unknown_one_is():
    item = stocked(warehouse(), 5)
    theirs = saved(signed_in())
    client = signed_in()
    mine = saved(client)
    in_cart(client, item)
    unknown = mine + theirs + 1000

    foreign = checkout(client, address_id=theirs)
    missing = checkout(client, address_id=unknown)

    assert foreign.status_code == missing.status_code == 400
    assert set(foreign.json()["extra"]) == {"address_id"}
    assert foreign.json()["extra"] == missing.json()["extra"]
    assert foreign.json()["message"] == missing.json()["message"]
    assert not Order.objects.exists()


def test_a_guest_cannot_use_a_saved_address():
    item = stocked(warehouse(), 5)
    owner = signed_in()
    address_id = saved(owner)
    guest = APIClient()

    response = buy_now(guest, item, address_id=address_id, email="g@example.com")

    assert response.status_code == 400
    assert response.json()["extra"] == {
        "address_id": ["Sign in to use a saved address."]
    }
    assert not Order.objects.exists()


def payment_intent(client, **body):
    body = {"fulfilment": "delivery", **body}
    return client.post("/api/v1/checkout/payment-intent/", body, format="json")


@pytest.mark.parametrize("send", [checkout, buy_now, payment_intent])
def test_a_saved_address_no_market_delivers_to_is_refused_on_address_id(send):
    """Saved before its country was checked, or its market closed since."""
    item = stocked(warehouse(), 5)
    client = signed_in()
    address_id = saved(client)
    Address.objects.filter(pk=address_id).update(country="ZZ")
    in_cart(client, item)

    response = (
        send(client, item, address_id=address_id)
        if send is buy_now
        else send(client, address_id=address_id)
    )

    assert response.status_code == 400, response.json()
    body = response.json()
    assert body["code"] == "unknown_country"
    assert body["extra"] == {"address_id": ["country: No market sells to ZZ."]}
    assert body["address_id"] == body["extra"]["address_id"]
    assert not Order.objects.exists()


@pytest.mark.parametrize("send", [checkout, buy_now, payment_intent])
def test_a_saved_address_holding_an_invisible_character_is_refused_on_address_id(
    send,
):
    """Saved before the address book refused what checkout refuses: a 400 that says
    to correct the saved address and names its field, never a 500."""
    item = stocked(warehouse(), 5)
    client = signed_in()
    address_id = saved(client)
    Address.objects.filter(pk=address_id).update(line1="Via\u200b Torino 1")
    in_cart(client, item)

    response = (
        send(client, item, address_id=address_id)
        if send is buy_now
        else send(client, address_id=address_id)
    )

    assert response.status_code == 400, response.json()
    body = response.json()
    assert body["message"].startswith("Correct your saved address first")
    assert body["extra"] == {
        "address_id": ["line1: Remove the invisible or control characters."]
    }
    assert not Order.objects.exists()
    fixed = client.patch(
        f"{ADDRESSES}{address_id}/", {"line1": "Via Torino 1"}, format="json"
    )
    assert fixed.status_code == 200, fixed.json()


@pytest.mark.parametrize("value", [0, -1, "home", None, 10**30])
def test_an_address_id_that_is_not_an_id_is_a_400_on_it(value):
    item = stocked(warehouse(), 5)
    client = signed_in()
    saved(client)

    response = buy_now(client, item, address_id=value)

    assert response.status_code == 400
    assert "address_id" in response.json()["extra"]
    assert not Order.objects.exists()


def test_the_schema_documents_address_id_for_both_checkouts(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    components = schema["components"]["schemas"]
    for name in ("CheckoutInputRequest", "BuyNowInputRequest"):
        field = components[name]["properties"]["address_id"]
        assert field["type"] == "integer"
        assert "saved addresses" in field["description"]
    assert {"get", "post"} <= set(schema["paths"]["/api/v1/me/addresses/"])
    assert {"get", "patch", "delete"} <= set(
        schema["paths"]["/api/v1/me/addresses/{id}/"]
    )
