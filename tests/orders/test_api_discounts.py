"""Discount codes through the storefront API: the cart preview (?discount_code=), the
checkout applying the code to the order and its lines, refusals as 400s on
``discount_code``, and a later return of a discounted line refunding what was paid."""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from inventory.models import PriceList, PriceListPrice, StockLevel
from orders.models import (
    Cart,
    CartStatus,
    DiscountCode,
    DiscountRedemption,
    Order,
    Payment,
)
from orders.services.fulfilment import mark_picked, mark_ready
from orders.services.pickups import collect_order
from orders.services.refunds import receive_and_refund_return
from tests.factories import StaffFactory
from tests.orders.discount_helpers import discount_code
from tests.orders.factories import shop, stocked
from tests.orders.returns_helpers import api_client_for, shopper

pytestmark = pytest.mark.django_db

CARD = {"method": "card_online", "token": "tok_visa"}


@pytest.fixture
def store():
    return shop(code="MI01", name="Milano Centro")


@pytest.fixture
def shirt(store):
    return stocked(store, 10, price="40.00", sku="SHIRT")


@pytest.fixture
def belt(store):
    return stocked(store, 10, price="15.50", sku="BELT")


def fill_cart(client, *lines) -> str:
    """Lines into the client's cart: a signed-in customer's own, else a new anonymous
    one addressed by its token."""
    token = client.post("/api/v1/cart/").json()["token"]
    if "HTTP_AUTHORIZATION" not in client._credentials:
        client.credentials(HTTP_X_CART_TOKEN=token)
    response = client.post(
        "/api/v1/cart/lines/",
        {"lines": [{"variant": v.pk, "quantity": q} for v, q in lines]},
        format="json",
    )
    assert response.status_code == 201, response.json()
    return token


def checkout(client, store, **body):
    body = {
        "payment": CARD,
        "email": "guest@example.com",
        "fulfilment": "pickup",
        "store": store.pk,
        **body,
    }
    return client.post("/api/v1/checkout/", body, format="json")


# --- the cart preview ------------------------------------------------------------------


def test_the_cart_previews_a_code_with_the_amount_and_the_total_after_it(
    store, shirt, belt
):
    discount_code("SPRING10", "percentage", "10")
    client = APIClient()
    fill_cart(client, (shirt, 1), (belt, 1))

    plain = client.get("/api/v1/cart/").json()
    body = client.get("/api/v1/cart/", {"discount_code": " spring10 "}).json()

    assert "discount_total" not in plain
    assert body["subtotal"] == "55.50"
    assert (body["discount_code"], body["discount_total"], body["total"]) == (
        "SPRING10",
        "5.55",
        "49.95",
    )
    assert DiscountCode.objects.get().times_used == 0  # a preview holds nothing


def test_the_cart_preview_prices_its_lines_and_vat_after_the_code_as_the_order(
    store, shirt, belt
):
    discount_code("SPRING10", "percentage", "10")
    client = APIClient()
    fill_cart(client, (shirt, 1), (belt, 1))
    query = {"discount_code": "SPRING10", "fulfilment": "pickup", "store": store.pk}
    cart = client.get("/api/v1/cart/", query).json()
    lines = {line["sku"]: line for line in cart["lines"]}
    assert {sku: line["discount"] for sku, line in lines.items()} == {
        "SHIRT": "4.00",
        "BELT": "1.55",
    }
    assert {sku: line["line_total"] for sku, line in lines.items()} == {
        "SHIRT": "36.00",
        "BELT": "13.95",
    }
    assert Decimal(cart["net_total"]) + Decimal(cart["tax_total"]) == Decimal("49.95")

    placed = checkout(client, store, discount_code="SPRING10").json()
    ordered = {line["sku"]: line for line in placed["lines"]}
    for sku, line in lines.items():
        for field in ("discount", "line_total", "net", "tax"):
            assert line[field] == ordered[sku][field], (sku, field)
    assert cart["tax_total"] == placed["tax_total"]


@pytest.mark.parametrize(
    ("terms", "code"),
    [
        ({"channels": "store"}, "discount_wrong_channel"),
        ({"min_subtotal": Decimal("100")}, "discount_minimum"),
        ({"active": False}, "discount_inactive"),
    ],
)
def test_a_code_the_cart_cannot_use_is_a_400_on_discount_code(
    store, shirt, terms, code
):
    discount_code("SPRING10", "percentage", "10", **terms)
    client = APIClient()
    fill_cart(client, (shirt, 1))

    response = client.get("/api/v1/cart/", {"discount_code": "SPRING10"})

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == code
    assert body["extra"]["discount_code"] == [body["message"]]


def test_a_signed_in_customer_is_told_they_already_used_a_once_per_customer_code(
    store, shirt
):
    user, customer = shopper()
    client = api_client_for(user)
    discount_code("WELCOME", "percentage", "10", max_uses_per_customer=1)
    fill_cart(client, (shirt, 1))
    assert checkout(client, store, discount_code="WELCOME").status_code == 201
    fill_cart(client, (shirt, 1))

    response = client.get("/api/v1/cart/", {"discount_code": "WELCOME"})

    assert response.status_code == 400
    assert response.json()["extra"]["discount_code"] == [
        "You have already used this code."
    ]


def test_a_once_per_customer_code_is_not_used_again_as_a_guest_with_the_same_email(
    store, shirt
):
    """A new login's address is not its profile's until confirmed, so a guest order
    under it lands on a profile of its own: the address still counts as the buyer."""
    discount_code("WELCOME", "percentage", "10", max_uses_per_customer=1)
    signed_up = APIClient().post(
        "/api/v1/auth/register/",
        {"email": "bea@example.com", "password": "a long Passphrase 42"},
        format="json",
    )
    assert signed_up.status_code == 201, signed_up.json()
    member = APIClient()
    member.credentials(HTTP_AUTHORIZATION=f"Token {signed_up.json()['token']}")
    fill_cart(member, (shirt, 1))
    assert checkout(member, store, discount_code="WELCOME").status_code == 201
    guest = APIClient()
    fill_cart(guest, (shirt, 1))

    again = checkout(guest, store, email="Bea@Example.com", discount_code="WELCOME")

    assert again.status_code == 400, again.json()
    assert again.json()["code"] == "discount_already_used"
    assert DiscountRedemption.objects.count() == 1
    assert Order.objects.count() == 1


@pytest.mark.parametrize(
    "first, again",
    [
        ("ada@example.com", "ada+2@example.com"),
        ("ada+shop@example.com", "ADA@example.com"),
        ("ada+1@example.com", "ada+2@Example.com"),
    ],
)
def test_a_guest_does_not_use_a_once_per_customer_code_again_with_a_tagged_address(
    store, shirt, first, again
):
    """ada+2@… is delivered to ada@…: one buyer, one use."""
    discount_code("WELCOME", "percentage", "10", max_uses_per_customer=1)
    for email, expected in ((first, 201), (again, 400)):
        guest = APIClient()
        fill_cart(guest, (shirt, 1))
        response = checkout(guest, store, email=email, discount_code="WELCOME")
        assert response.status_code == expected, response.json()
    assert DiscountRedemption.objects.count() == 1


def test_another_mailbox_of_the_same_domain_is_another_buyer(store, shirt):
    discount_code("WELCOME", "percentage", "10", max_uses_per_customer=1)
    for email in ("ada@example.com", "adam@example.com", "ada@example.org"):
        guest = APIClient()
        fill_cart(guest, (shirt, 1))
        response = checkout(guest, store, email=email, discount_code="WELCOME")
        assert response.status_code == 201, response.json()


def test_a_strangers_guest_order_under_my_address_does_not_spend_my_code(store, shirt):
    """Someone types a member's address (not proven by them, so their order lands
    on a profile of its own) and uses a once-per-customer code: the member, signed
    in, still has their use."""
    discount_code("WELCOME", "percentage", "10", max_uses_per_customer=1)
    signed_up = APIClient().post(
        "/api/v1/auth/register/",
        {"email": "bea@example.com", "password": "a long Passphrase 42"},
        format="json",
    )
    member = APIClient()
    member.credentials(HTTP_AUTHORIZATION=f"Token {signed_up.json()['token']}")
    stranger = APIClient()
    fill_cart(stranger, (shirt, 1))
    taken = checkout(stranger, store, email="bea@example.com", discount_code="WELCOME")
    assert taken.status_code == 201, taken.json()

    fill_cart(member, (shirt, 1))
    mine = checkout(member, store, discount_code="WELCOME")

    assert mine.status_code == 201, mine.json()
    assert DiscountRedemption.objects.count() == 2
    assert Order.objects.get(number=mine.json()["number"]).discount_code == "WELCOME"


# --- checkout --------------------------------------------------------------------------


def test_checkout_with_a_code_discounts_the_order_and_its_lines(store, shirt, belt):
    discount_code("TENOFF", "fixed", "10")
    client = APIClient()
    fill_cart(client, (shirt, 1), (belt, 2))

    response = checkout(client, store, discount_code="tenoff")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["subtotal"], body["discount_total"], body["total"]) == (
        "71.00",
        "10.00",
        "61.00",
    )
    assert body["discount_code"] == "TENOFF"
    lines = {line["sku"]: line for line in body["lines"]}
    assert (lines["SHIRT"]["discount"], lines["SHIRT"]["line_total"]) == (
        "5.63",
        "34.37",
    )
    assert (lines["BELT"]["discount"], lines["BELT"]["line_total"]) == (
        "4.37",
        "26.63",
    )
    assert body["payments"][0]["amount"] == "61.00"
    order = Order.objects.get(number=body["number"])
    assert DiscountRedemption.objects.get().order == order
    assert DiscountCode.objects.get().times_used == 1


def test_a_code_checkout_cannot_use_is_a_400_and_the_cart_stays_open(store, shirt):
    discount_code("ONCE", "fixed", "5", max_uses=1)
    first = APIClient()
    fill_cart(first, (shirt, 1))
    assert checkout(first, store, discount_code="ONCE").status_code == 201
    client = APIClient()
    fill_cart(client, (shirt, 2))

    response = checkout(client, store, discount_code="ONCE", email="b@example.com")
    unknown = checkout(client, store, discount_code="NOSUCH", email="b@example.com")

    assert response.status_code == 400
    assert response.json()["code"] == "discount_used_up"
    assert response.json()["extra"]["discount_code"] == ["This code has been used up."]
    assert unknown.status_code == 400
    assert unknown.json()["extra"]["discount_code"] == ["Unknown discount code NOSUCH."]
    assert Order.objects.count() == 1
    assert StockLevel.objects.get(variant=shirt, location=store).reserved == 1
    assert Cart.objects.filter(status=CartStatus.OPEN).count() == 1


def test_returning_a_discounted_line_bought_online_refunds_the_discounted_amount(
    store, shirt, belt
):
    user, customer = shopper()
    client = api_client_for(user)
    associate = StaffFactory(store=store)
    discount_code("TENOFF", "fixed", "10")
    fill_cart(client, (shirt, 1), (belt, 2))
    number = checkout(client, store, discount_code="TENOFF").json()["number"]
    order = Order.objects.get(number=number)
    mark_picked(order=order, actor=associate, location=store)
    order = mark_ready(order=order, actor=associate, location=store)
    collect_order(order=order, actor=associate, code=order.pickup_code, location=store)
    belt_line = order.lines.get(sku="BELT")

    started = client.post(
        "/api/v1/returns/",
        {
            "order": number,
            "lines": [{"order_line": belt_line.pk, "quantity": 2, "reason": "too_big"}],
        },
        format="json",
    )
    assert started.status_code == 201, started.json()
    assert started.json()["lines"][0]["amount"] == "26.63"
    ret = receive_and_refund_return(
        return_request=started.json()["code"], location=store, actor=associate
    )

    assert ret.refund_total == Decimal("26.63")  # 31.00 less its 4.37 share of 10.00
    assert Payment.objects.get(order=order).refunded_amount == Decimal("26.63")


def test_the_schema_documents_the_preview_and_the_checkout_code(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    cart = schema["paths"]["/api/v1/cart/"]["get"]
    assert "discount_code" in [p["name"] for p in cart["parameters"]]
    output = schema["components"]["schemas"]["CartOutput"]["properties"]
    assert {"discount_code", "discount_total", "total"} <= set(output)
    checkout_input = schema["components"]["schemas"]["CheckoutInputRequest"][
        "properties"
    ]
    assert "discount_code" in checkout_input


def test_a_euro_code_previewed_on_a_cart_priced_in_francs_is_refused_as_checkout_does():
    """The cart priced for Switzerland is in francs: a fixed euro amount is not
    20 francs off, in the preview as at checkout."""
    zurich = shop(code="ZH01", country="CH", city="Zürich")
    item = stocked(zurich, 3, price="49.90")
    PriceListPrice.objects.create(
        price_list=PriceList.objects.get(code="CHF"), variant=item, price="54.05"
    )
    discount_code("FIX20", "fixed", "20.00")
    client = APIClient()
    fill_cart(client, (item, 1))

    francs = client.get("/api/v1/cart/?country=CH&discount_code=FIX20")
    euros = client.get("/api/v1/cart/?country=IT&discount_code=FIX20")

    assert francs.status_code == 400, francs.json()
    assert francs.json()["code"] == "discount_wrong_currency"
    assert "discount_code" in francs.json()["extra"]
    assert euros.status_code == 200 and euros.json()["discount_total"] == "20.00"
