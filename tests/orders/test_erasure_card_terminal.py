"""Erasure while a sale for the person waits on the shop's card terminal: refused
(409 ``sale_in_progress``, naming the terminal payment and what to do) with nothing
erased, since the sale is placed from what the waiting payment keeps once the card
pays. Once the payment is finished (the sale placed and delivered, or the payment
cancelled) the erasure goes through and the payment keeps no more of the sale."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from customers.models import Customer
from orders.models import (
    Order,
    PaymentMethod,
    TerminalIntent,
    TerminalIntentStatus,
)
from orders.services.fulfilment import mark_delivered, mark_picked, ship_order
from tests.factories import LocationFactory, StaffFactory, VariantFactory, stock
from tests.orders.terminal_helpers import reader
from tests.orders.till_helpers import open_counter_till

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]

HTMX = {"HTTP_HX_REQUEST": "true"}
ERASE = "/api/v1/me/erase/"
S = TerminalIntentStatus
ADDRESS = {
    "name": "Eva Rossi",
    "line1": "Via Torino 1",
    "postcode": "20123",
    "city": "Milano",
    "country": "IT",
}


@pytest.fixture
def shop():
    shop = LocationFactory(
        code="MI01",
        name="Milano Duomo",
        latitude=Decimal("45.464200"),
        longitude=Decimal("9.190000"),
        ships_online_orders=True,
    )
    reader(shop, label="Till 1")
    return shop


@pytest.fixture
def staff(client, shop):
    associate = StaffFactory(store=shop, first_name="Giulia", last_name="Bianchi")
    client.force_login(associate)
    open_counter_till(associate)
    return client


@pytest.fixture
def sweater(shop):
    item = VariantFactory(sku="WSH-00001-WHT-S", price="59.90")
    stock(item, shop, 3)
    return item


@pytest.fixture
def eva() -> tuple[APIClient, Customer]:
    """Eva signed up online; her loyalty card is on her profile."""
    api = APIClient()
    response = api.post(
        "/api/v1/auth/register/",
        {
            "email": "eva3@example.com",
            "password": "Sup3r-secret-pw!",
            "first_name": "Eva",
            "last_name": "Rossi",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    api.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    return api, Customer.objects.get(pk=api.get("/api/v1/me/").json()["id"])


@pytest.fixture
def waiting_sale(staff, sweater, eva) -> TerminalIntent:
    """Eva on the phone: a delivery to her, her loyalty card attached, keyed in on
    the shop's terminal and not paid yet."""
    _, customer = eva
    staff.post(reverse("staff:sale_phone"), {"phone": "on"}, **HTMX)
    staff.post(reverse("staff:sale_add"), {"code": sweater.sku}, **HTMX)
    attached = staff.post(
        reverse("staff:sale_customer"),
        {"kind": "loyalty", "value": customer.loyalty_number},
        **HTMX,
    )
    assert 'data-testid="attached-customer"' in attached.content.decode()
    response = staff.post(
        reverse("staff:sale_checkout"),
        {"mode": "delivery", "method_1": PaymentMethod.CARD_IN_STORE, **ADDRESS},
        **HTMX,
    )
    intent = TerminalIntent.objects.get(status=S.PENDING)
    assert response["HX-Redirect"] == reverse(
        "staff:sale_terminal", args=[intent.reference]
    )
    return intent


def erase(api: APIClient):
    return api.post(ERASE, {"confirm": True, "forfeit_balance": True}, format="json")


def terminal(staff, intent: TerminalIntent, action: str, **data):
    url = reverse(f"staff:sale_terminal_{action}", args=[intent.reference])
    return staff.post(url, data, **HTMX)


def test_the_erasure_is_refused_while_the_sale_waits_for_the_card(eva, waiting_sale):
    api, customer = eva
    kept = dict(waiting_sale.sale)

    response = erase(api)

    assert response.status_code == 409, response.json()
    body = response.json()
    assert body["code"] == "sale_in_progress"
    assert waiting_sale.reference in body["message"]
    assert "still waiting on the shop's card terminal" in body["message"]
    assert (
        "let the card payment finish at the counter, or cancel it" in (body["message"])
    )
    assert body["extra"] == {"terminal_payments": [waiting_sale.reference]}
    customer.refresh_from_db()
    assert not customer.is_anonymised and customer.user.is_active
    assert customer.identities.exists()
    waiting_sale.refresh_from_db()
    assert waiting_sale.status == S.PENDING and waiting_sale.sale == kept


def test_once_the_card_paid_the_sale_is_hers_and_then_the_erasure_goes_through(
    staff, eva, waiting_sale
):
    api, customer = eva
    assert erase(api).status_code == 409

    paid = terminal(staff, waiting_sale, "simulate", outcome="approve")

    order = Order.objects.get()
    assert paid["HX-Redirect"] == reverse("staff:sale_receipt", args=[order.number])
    assert order.customer == customer and order.total == Decimal("59.90")
    waiting_sale.refresh_from_db()
    assert (waiting_sale.status, waiting_sale.order) == (S.COMPLETED, order)
    # Now the order holds the erasure, as any order still to be shipped does.
    assert erase(api).json()["code"] == "open_orders"
    mark_picked(order=order)
    ship_order(order=order)
    mark_delivered(order=order)

    response = erase(api)

    assert response.status_code == 200, response.json()
    customer.refresh_from_db()
    assert customer.is_anonymised
    waiting_sale.refresh_from_db()
    assert waiting_sale.sale == {}  # finished: the buyer and address it kept go
    assert waiting_sale.status == S.COMPLETED
    order.refresh_from_db()
    assert order.fulfilments.get().address == {}
    # The counter's screen for the payment still leads to the sale's receipt.
    again = staff.get(
        reverse("staff:sale_terminal", args=[waiting_sale.reference]), **HTMX
    )
    assert again["HX-Redirect"] == reverse("staff:sale_receipt", args=[order.number])


def test_a_payment_cancelled_at_the_counter_no_longer_holds_the_erasure(
    staff, eva, waiting_sale
):
    api, customer = eva

    terminal(staff, waiting_sale, "cancel")

    waiting_sale.refresh_from_db()
    assert waiting_sale.status == S.CANCELLED
    response = erase(api)
    assert response.status_code == 200, response.json()
    customer.refresh_from_db()
    assert customer.is_anonymised
    waiting_sale.refresh_from_db()
    assert waiting_sale.sale == {}
    assert Order.objects.count() == 0
