"""The storefront journey end to end: cart on one device, checkout on another, pickup."""

from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from customers.models import Customer, CustomerEvent
from customers.selectors.identities import customer_for_user
from customers.services.accounts import register_customer
from customers.services.verification import claim_with_receipt, receipt_claim_code
from inventory.models import MovementReason, Reservation, StockLevel, StockMovement
from inventory.selectors import ledger_discrepancies
from orders.models import Cart, CartStatus, Order, OrderStatus, Payment
from orders.services.checkout import LineRequest, place_order
from orders.services.fulfilment import mark_picked, mark_ready
from orders.services.payments import PaymentRequest
from orders.services.pickups import collect_order
from tests.factories import StaffFactory, UserFactory
from tests.orders.factories import deliver_outbox, shop, stocked, warehouse

pytestmark = pytest.mark.django_db


def level(variant, location):
    return StockLevel.objects.get(variant=variant, location=location)


def signed_in(user) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def fill_a_cart_on_the_phone(shirt, belt) -> str:
    """Phone, not signed in: a cart by token, two shirts and a belt; its token."""
    phone = APIClient()
    created = phone.post("/api/v1/cart/")
    assert created.status_code == 201
    token = created.json()["token"]
    phone.credentials(HTTP_X_CART_TOKEN=token)
    added = phone.post(
        "/api/v1/cart/lines/",
        {"lines": [{"variant": shirt.pk, "quantity": 2}, {"variant": belt.pk}]},
        format="json",
    )
    assert added.status_code == 201, added.json()
    assert [(line["sku"], line["quantity"]) for line in added.json()["lines"]] == [
        (shirt.sku, 2),
        (belt.sku, 1),
    ]
    return token


def look_at_it_on_the_laptop(laptop, *, user, store, token, shirt, belt) -> dict:
    """Laptop, signed in, carrying the token: the phone's cart shown as the customer's,
    and reading it writes nothing (no profile, no cart, the phone's cart still open)."""
    with CaptureQueriesContext(connection) as queries:
        shown = laptop.get(
            f"/api/v1/cart/?fulfilment=pickup&store={store.pk}",
            HTTP_X_CART_TOKEN=token,
        )
    assert shown.status_code == 200
    assert not [
        q["sql"]
        for q in queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    ]
    body = shown.json()
    assert [(line["sku"], line["quantity"]) for line in body["lines"]] == [
        (shirt.sku, 2),
        (belt.sku, 1),
    ]
    assert {line["availability"] for line in body["lines"]} == {"in_stock"}
    assert body["subtotal"] == "95.50"
    assert not Customer.objects.filter(user=user).exists()
    assert Cart.objects.get(token=token).status == CartStatus.OPEN
    assert Cart.objects.count() == 1
    return body


def click_and_collect(laptop, *, store, token) -> Order:
    """Checkout, still carrying the token: the first write folds the phone's cart
    into the customer's and places it for pickup, the stock held at the shop."""
    checkout = laptop.post(
        "/api/v1/checkout/",
        {
            "fulfilment": "pickup",
            "store": store.pk,
            "payment": {"method": "card_online", "token": "tok_visa"},
        },
        format="json",
        HTTP_IDEMPOTENCY_KEY="k-1",
        HTTP_X_CART_TOKEN=token,
    )
    assert checkout.status_code == 201, checkout.json()
    assert checkout.json()["status"] == "placed"
    assert checkout.json()["total"] == "95.50"
    order = Order.objects.get(number=checkout.json()["number"])
    folded = Cart.objects.select_related("merged_into").get(token=token)
    assert folded.status == CartStatus.MERGED
    assert folded.merged_into.status == CartStatus.CONVERTED
    assert folded.merged_into.order == order
    assert Payment.objects.get(order=order).status == "captured"
    deliver_outbox()
    assert any(m.subject == f"Your order {order.number}" for m in mail.outbox)
    assert laptop.get("/api/v1/cart/").json()["lines"] == []  # a fresh cart
    return order


def make_it_ready(order, *, associate, store, laptop) -> None:
    """Staff pick and make it ready; the customer is told the pickup code."""
    mark_picked(order=order, actor=associate, location=store)
    mark_ready(order=order, actor=associate, location=store)
    deliver_outbox()
    order.refresh_from_db()
    ready_mail = next(m for m in mail.outbox if "ready for pickup" in m.subject)
    assert order.pickup_code in ready_mail.body
    seen = laptop.get(f"/api/v1/orders/{order.number}/").json()
    assert seen["status"] == "ready" and seen["pickup_code"] == order.pickup_code


def collect_it(order, *, associate, store, shirt, belt) -> None:
    """The pickup code collects it: the held units leave the shop."""
    collect_order(
        order=order, actor=associate, code=order.pickup_code.lower(), location=store
    )
    order.refresh_from_db()
    assert order.status == OrderStatus.COLLECTED
    assert (level(shirt, store).on_hand, level(shirt, store).reserved) == (3, 0)
    assert (level(belt, store).on_hand, level(belt, store).reserved) == (2, 0)
    number = order.number
    assert not Reservation.objects.filter(reference_id=number, status="active").exists()
    reasons = list(
        StockMovement.objects.filter(reference_id=number)
        .order_by("id")
        .values_list("reason", flat=True)
    )
    assert reasons == [MovementReason.RESERVATION] * 2 + [MovementReason.PICKUP] * 2
    assert ledger_discrepancies() == []


def test_anonymous_cart_follows_the_customer_to_another_device_and_is_collected():
    store = shop(name="Milano Duomo")
    warehouse()
    shirt = stocked(store, 5, price="40.00")
    belt = stocked(store, 3, price="15.50")
    user = UserFactory(email="ada@example.com", first_name="Ada")

    token = fill_a_cart_on_the_phone(shirt, belt)
    laptop = signed_in(user)
    shown = look_at_it_on_the_laptop(
        laptop, user=user, store=store, token=token, shirt=shirt, belt=belt
    )
    order = click_and_collect(laptop, store=store, token=token)
    assert [(line.variant.sku, line.quantity) for line in order.lines.all()] == [
        (line["sku"], line["quantity"]) for line in shown["lines"]
    ]
    customer = customer_for_user(user)
    assert order.customer == customer
    assert (level(shirt, store).on_hand, level(shirt, store).reserved) == (5, 2)
    assert (level(belt, store).on_hand, level(belt, store).reserved) == (3, 1)

    associate = StaffFactory(store=store)
    make_it_ready(order, associate=associate, store=store, laptop=laptop)
    collect_it(order, associate=associate, store=store, shirt=shirt, belt=belt)

    # History and timeline tell the whole story.
    history = [(h.from_status, h.to_status) for h in order.history.order_by("at", "id")]
    assert history == [
        ("", "placed"),
        ("placed", "picked"),
        ("picked", "ready"),
        ("ready", "collected"),
    ]
    deliver_outbox()
    kinds = set(
        CustomerEvent.objects.filter(customer=customer).values_list("kind", flat=True)
    )
    assert {"order_placed", "order_ready", "order_collected", "message_sent"} <= kinds
    customer.refresh_from_db()
    assert customer.points_balance == 95  # one point per euro, paid order


def test_in_store_sale_to_a_phone_number_shows_in_that_customers_online_orders():
    store = shop()
    item = stocked(store, 4, price="20.00")
    associate = StaffFactory(store=store)
    sale = place_order(
        lines=[LineRequest(item, 2)],
        channel="store",
        fulfilment="carry_out",
        placing_location=store,
        staff=associate,
        phone="333 123 4567",
        payments=[PaymentRequest(method="cash")],
    )
    assert sale.status == OrderStatus.COMPLETED
    assert level(item, store).on_hand == 2 and level(item, store).reserved == 0
    assert ledger_discrepancies() == []

    # Later the same person signs up online, giving that phone number, and claims
    # the shop profile with the code printed on the receipt.
    registration = register_customer(
        email="bea@example.com", password="a-long-pass-7781", phone="+39 333 1234567"
    )
    user = registration.user
    assert registration.customer != sale.customer  # the phone alone proves nothing
    claimed = claim_with_receipt(
        user=user,
        order_number=sale.number,
        claim_code=receipt_claim_code(sale.number),
    )
    assert claimed == sale.customer
    client = signed_in(user)
    listed = client.get("/api/v1/orders/").json()["results"]
    channels = {row["number"]: row["channel"] for row in listed}
    assert channels[sale.number] == "store"
    detail = client.get(f"/api/v1/orders/{sale.number}/").json()
    assert detail["placing_location"]["id"] == store.pk
    assert detail["lines"][0]["quantity"] == 2
    assert Decimal(detail["total"]) == Decimal("40.00")
