"""A storefront client for the fault tests: plain HTTP to gunicorn, as a browser or
an app would, paying with PaymentIntents the fake Stripe confirmed."""

from __future__ import annotations

import http.client
import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

from orders.models import Cart
from orders.payments.stripe import CART_METADATA
from orders.services.placing import cart_reference
from tests.orders.factories import stocked, warehouse

ADDRESS = {"line1": "Via Torino 1", "city": "Milano", "postcode": "20123"}


@dataclass
class Answer:
    status: int
    body: dict
    headers: dict
    seconds: float


def call(url: str, body: dict | None = None, headers=None, timeout=60) -> Answer:
    data = json.dumps(body or {}).encode()
    request = urllib.request.Request(
        url,
        data=data,
        headers={"Content-Type": "application/json", **(headers or {})},
        method="POST",
    )
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, raw, found = response.status, response.read(), response.headers
    except urllib.error.HTTPError as error:
        status, raw, found = error.code, error.read(), error.headers
    except (OSError, http.client.HTTPException):  # no answer: the worker died
        status, raw, found = 0, b"", {}
    seconds = time.monotonic() - started
    try:
        parsed = json.loads(raw) if raw else {}
    except ValueError:
        parsed = {"not_json": raw[:200].decode(errors="replace")}
    return Answer(status, parsed, dict(found), seconds)


def stocked_warehouse(quantity: int = 100, price: str = "30.00"):
    """A warehouse (a parcel from it is paid at checkout) and one variant in it."""
    place = warehouse()
    return place, stocked(place, quantity, price=price)


def open_cart(stack, variant, quantity: int = 1) -> str:
    token = call(stack.url("/api/v1/cart/")).body["token"]
    added = call(
        stack.url("/api/v1/cart/lines/"),
        {"lines": [{"variant": variant.pk, "quantity": quantity}]},
        {"X-Cart-Token": token},
    )
    assert added.status == 201, added.body
    return token


def check_out(stack, token: str, intent: str, email: str, **headers) -> Answer:
    return call(
        stack.url("/api/v1/checkout/"),
        {
            "fulfilment": "delivery",
            "address": ADDRESS,
            "email": email,
            "payment": {"method": "card_online", "token": intent},
        },
        {"X-Cart-Token": token, **headers},
    )


def cart_intent(fake_stripe, token: str, amount_minor: int, **kwargs) -> str:
    """A PaymentIntent confirmed for the cart of ``token``, tagged with it as
    ``POST /checkout/payment-intent/`` tags the intents it makes."""
    intent = fake_stripe.intent(amount_minor, **kwargs)
    with fake_stripe.lock:
        intent["metadata"] = {
            CART_METADATA: cart_reference(Cart.objects.get(token=token))
        }
    return intent["id"]


def buy(stack, fake_stripe, variant, email: str, quantity: int = 1) -> Answer:
    """One storefront order: a cart, a line, a paid checkout."""
    token = open_cart(stack, variant, quantity)
    amount = int(variant.price * 100) * quantity
    intent = cart_intent(fake_stripe, token, amount, status="requires_capture")
    return check_out(stack, token, intent, email)
