"""The delivery fee: an order delivered home pays its market's fee, taxed like its
goods, whoever takes it (online, a shop or the phone line), unless the goods reach
the market's threshold or the signed-in customer's loyalty tier travels free.
Pickups and sales taken now pay none.
The cart shows it before checkout; the order, its receipt, its invoice, the VAT
ledger and the staff page show it after; points and the loyalty tier's spend leave
it out."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from inventory.markets import forget_tax_table
from inventory.models import Market
from omnistore.accounts.models import Role
from omnistore.core.channels import Channel
from omnistore.core.exceptions import ValidationFailed
from orders.models import Order, OrderTaxTotal
from orders.selectors.loyalty import kept_spend
from orders.selectors.receipts import order_receipt
from orders.selectors.vat import vat_ledger
from orders.services.checkout import LineRequest, place_order
from orders.services.fulfilment import mark_picked, ship_order
from orders.services.invoices import issue_invoice
from orders.services.loyalty import order_points
from orders.services.payments import PaymentRequest
from tests.factories import UserFactory
from tests.orders.discount_helpers import discount_code
from tests.orders.factories import deliver_outbox, shop, stocked, warehouse
from tests.orders.receipt_helpers import legal_entity
from tests.orders.returns_helpers import api_client_for, shopper

from .test_api_checkout import ADDRESS, CARD, cart_with, checkout

pytestmark = pytest.mark.django_db

BUY_NOW = "/api/v1/checkout/buy-now/"


@pytest.fixture
def priced_delivery():
    """The EU market charges 4.90 for delivery, free from 100.00 of goods."""
    Market.objects.filter(code="EU").update(
        delivery_fee=Decimal("4.90"), free_delivery_from=Decimal("100.00")
    )
    forget_tax_table()
    yield
    forget_tax_table()


@pytest.fixture
def depot():
    return warehouse()


def buy_now(client, *lines, fulfilment="delivery", key="", **body):
    body = {
        "lines": [{"variant": v.pk, "quantity": q} for v, q in lines],
        "fulfilment": fulfilment,
        "payment": CARD,
        "email": "guest@example.com",
        **body,
    }
    if fulfilment == "delivery":
        body.setdefault("address", ADDRESS)
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post(BUY_NOW, body, format="json", **headers)


def test_a_delivery_under_the_threshold_pays_the_fee_taxed_like_its_goods(
    priced_delivery, depot
):
    shirt = stocked(depot, 5, price="69.00")

    response = buy_now(APIClient(), (shirt, 1))

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["subtotal"], body["delivery_fee"], body["total"]) == (
        "69.00",
        "4.90",
        "73.90",
    )
    # 4.90 at 22 %: 0.88 of VAT, beside the shirt's 12.44
    assert (body["net_total"], body["tax_total"]) == ("60.58", "13.32")
    assert body["tax_totals"] == [
        {
            "tax_class": "standard",
            "rate": "22.00",
            "net": "60.58",
            "tax": "13.32",
            "gross": "73.90",
        }
    ]
    assert [p["amount"] for p in body["payments"]] == ["73.90"]
    order = Order.objects.get(number=body["number"])
    assert order.delivery_fee == Decimal("4.90")
    assert order.net_total + order.tax_total == order.total


def test_goods_at_the_threshold_travel_free_but_a_discount_below_it_pays(
    priced_delivery, depot
):
    coat = stocked(depot, 5, price="100.00")
    free = buy_now(APIClient(), (coat, 1)).json()
    assert (free["delivery_fee"], free["total"]) == ("0.00", "100.00")

    discount_code("TENOFF", value="10")
    paying = buy_now(APIClient(), (coat, 1), discount_code="TENOFF", key="d-1")
    assert paying.status_code == 201, paying.json()
    body = paying.json()
    assert (body["discount_total"], body["delivery_fee"], body["total"]) == (
        "10.00",
        "4.90",
        "94.90",
    )


def test_the_fee_follows_the_highest_rate_among_the_goods(priced_delivery, depot):
    shirt = stocked(depot, 5, price="24.40")
    book = stocked(depot, 5, price="10.40", product__tax_class="super_reduced")

    body = buy_now(APIClient(), (shirt, 1), (book, 1)).json()

    assert body["delivery_fee"] == "4.90"
    by_rate = {row["rate"]: row for row in body["tax_totals"]}
    assert (by_rate["22.00"]["gross"], by_rate["22.00"]["tax"]) == ("29.30", "5.28")
    assert (by_rate["4.00"]["gross"], by_rate["4.00"]["tax"]) == ("10.40", "0.40")
    assert body["total"] == "39.70"


def test_pickups_pay_no_delivery_and_deliveries_a_shop_or_the_phone_takes_pay_it(
    priced_delivery, depot
):
    store = shop()
    shirt = stocked(store, 5, price="69.00")
    stocked_too = stocked(depot, 5, price="69.00")
    pickup = buy_now(APIClient(), (shirt, 1), fulfilment="pickup", store=store.pk)
    assert pickup.status_code == 201, pickup.json()
    assert (pickup.json()["delivery_fee"], pickup.json()["total"]) == (
        "0.00",
        "69.00",
    )
    for channel in (Channel.STORE, Channel.PHONE):
        order = place_order(
            lines=[LineRequest(stocked_too, 1)],
            channel=channel,
            fulfilment="delivery",
            address={**ADDRESS, "country": "IT"},
            placing_location=store,
            email="caller@example.com",
            payments=[PaymentRequest(method="card_in_store")],
        )
        assert (order.delivery_fee, order.total) == (Decimal("4.90"), Decimal("73.90"))
        assert order.payments.get().amount == Decimal("73.90")


def test_a_gold_customer_signed_in_travels_free(priced_delivery, depot):
    user, customer = shopper()
    shirt = stocked(depot, 50, price="69.00")
    client = api_client_for(user)
    before = buy_now(client, (shirt, 1), key="before").json()
    assert before["delivery_fee"] == "4.90"
    Order.objects.filter(customer=customer).update(total=Decimal("1600.00"))
    ship_order(order=mark_picked(order=Order.objects.get(number=before["number"])))
    assert kept_spend([customer.pk])[customer.pk] >= Decimal("1500.00")

    body = buy_now(client, (shirt, 1), key="gold").json()

    assert (body["delivery_fee"], body["total"]) == ("0.00", "69.00")


def test_a_guest_giving_a_gold_customers_email_pays_the_fee(priced_delivery, depot):
    user, customer = shopper()
    shirt = stocked(depot, 50, price="69.00")
    first = buy_now(api_client_for(user), (shirt, 1), key="before").json()
    Order.objects.filter(customer=customer).update(total=Decimal("1600.00"))
    ship_order(order=mark_picked(order=Order.objects.get(number=first["number"])))

    body = buy_now(APIClient(), (shirt, 1), email=customer.email).json()

    assert (body["delivery_fee"], body["total"]) == ("4.90", "73.90")


def test_payments_must_cover_the_delivery_too(priced_delivery, depot):
    shirt = stocked(depot, 5, price="69.00")

    with pytest.raises(ValidationFailed) as refused:
        place_order(
            lines=[LineRequest(shirt, 1)],
            channel=Channel.WEB,
            fulfilment="delivery",
            address={**ADDRESS, "country": "IT"},
            email="guest@example.com",
            payments=[
                PaymentRequest(
                    method="card_online", token="tok_visa", amount=Decimal("69.00")
                )
            ],
        )

    assert "73.90" in str(refused.value.extra["payment"])
    assert not Order.objects.exists()


def test_the_cart_shows_the_delivery_fee_and_the_total_before_checkout(
    priced_delivery, depot
):
    store = shop()
    shirt = stocked(depot, 5, price="69.00")
    client = APIClient()
    cart_with(client, (shirt, 1))

    delivered = client.get("/api/v1/cart/?fulfilment=delivery").json()
    collected = client.get(f"/api/v1/cart/?fulfilment=pickup&store={store.pk}").json()

    assert (delivered["delivery_fee"], delivered["total"]) == ("4.90", "73.90")
    assert (collected["delivery_fee"], collected["total"]) == ("0.00", "69.00")
    placed = checkout(client, fulfilment="delivery", address=ADDRESS)
    assert placed.status_code == 201, placed.json()
    assert placed.json()["total"] == delivered["total"]


def test_a_market_without_a_fee_charges_nothing(depot):
    shirt = stocked(depot, 5, price="69.00")
    body = buy_now(APIClient(), (shirt, 1)).json()
    assert (body["delivery_fee"], body["total"]) == ("0.00", "69.00")


def test_receipt_invoice_and_vat_ledger_carry_the_delivery(priced_delivery, depot):
    seller = legal_entity()
    Market.objects.filter(code="EU").update(legal_entity=seller)
    forget_tax_table()
    user, customer = shopper(email="studio@example.com")
    customer.company_name = "Studio Rossi"
    customer.vat_number = "IT00743110157"
    customer.save()
    shirt = stocked(depot, 5, price="69.00")
    number = buy_now(api_client_for(user), (shirt, 1)).json()["number"]
    order = Order.objects.get(number=number)

    receipt = order_receipt(order)
    delivery = [line for line in receipt.sold.lines if line.name == "Delivery"]
    assert [(d.total, d.rate) for d in delivery] == [
        (Decimal("4.90"), Decimal("22.00"))
    ]
    assert receipt.sold.total == Decimal("73.90")
    gift = order_receipt(order, gift=True)
    assert [line.name for line in gift.sold.lines] == [order.lines.get().name]

    invoice, _ = issue_invoice(order=order)
    assert (invoice.net, invoice.tax, invoice.gross) == (
        Decimal("60.58"),
        Decimal("13.32"),
        Decimal("73.90"),
    )
    assert invoice.lines[-1]["name"] == "Delivery"
    assert invoice.vat == [
        {"rate": "22.00", "net": "60.58", "tax": "13.32", "gross": "73.90"}
    ]

    today = timezone.localdate()
    (row,) = vat_ledger(start=today - timedelta(days=1), end=today)
    assert row.sales == [Decimal("60.58"), Decimal("13.32"), Decimal("73.90")]
    assert sum(t.gross for t in OrderTaxTotal.objects.filter(order=order)) == (
        order.total
    )


def test_points_and_the_tier_spend_leave_the_delivery_out(priced_delivery, depot):
    user, customer = shopper()
    shirt = stocked(depot, 5, price="69.00")
    number = buy_now(api_client_for(user), (shirt, 1)).json()["number"]
    deliver_outbox()
    order = ship_order(order=mark_picked(order=Order.objects.get(number=number)))

    assert order.total == Decimal("73.90")
    assert order_points(order) == order_points(
        Order(total=Decimal("69.00"), delivery_fee=Decimal("0.00"))
    )
    assert order.loyalty_points == order_points(order)
    assert kept_spend([customer.pk])[customer.pk] == Decimal("69.00")


def test_the_staff_order_page_shows_the_delivery(priced_delivery, depot, client):
    shirt = stocked(depot, 5, price="69.00")
    number = buy_now(APIClient(), (shirt, 1)).json()["number"]
    client.force_login(UserFactory(role=Role.HQ, username="hq"))

    page = client.get(reverse("staff:order_detail", args=[number]))

    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="order-delivery">4.90<' in html
    assert "73.90 EUR" in html
