"""The exchange receipt accounts for the whole returned value: besides what paid the
new items, it lists what the return gave back — the share paid in points back as
points, the store credit the new items did not use, with the day it expires — so the
returned value is the new items' credit plus those, on the receipt printed and
through the API, as the desk and the exchange email say."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from omnistore.core.channels import Channel
from orders.models import PaymentMethod, StoreCreditKind
from orders.services.checkout import LineRequest, place_order
from orders.services.exchanges import exchange_items
from orders.services.payments import PaymentRequest
from tests.factories import StaffFactory
from tests.orders.factories import shop, stocked
from tests.orders.returns_helpers import api_client_for, line_request, shopper
from tests.orders.stored_value_helpers import credit_of, give_points

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]
D = Decimal


@pytest.fixture
def duomo():
    return shop(code="MI02", name="Milano Duomo")


@pytest.fixture
def associate(duomo):
    return StaffFactory(store=duomo, first_name="Luca", last_name="Verdi")


@pytest.fixture
def nora():
    return shopper("nora@example.com")


@pytest.fixture
def exchanged(duomo, associate, nora):
    """A 45.90 shirt paid with 500 points (5.00) and 40.90 by card, exchanged for a
    14.90 scarf: 5.00 back as points, 14.90 of the credit pays the scarf, 26.00 of
    it is left."""
    _, customer = nora
    give_points(customer, 500)
    shirt = stocked(duomo, 3, price="45.90", sku="SHIRT-L")
    scarf = stocked(duomo, 3, price="14.90", sku="SCARF-RED")
    order = place_order(
        lines=[LineRequest(shirt, 1)],
        channel=Channel.STORE,
        fulfilment="carry_out",
        placing_location=duomo,
        staff=associate,
        customer=customer,
        payments=[
            PaymentRequest(method=PaymentMethod.LOYALTY_POINTS, points=500),
            PaymentRequest(method=PaymentMethod.CARD_IN_STORE),
        ],
    )
    result = exchange_items(
        order=order.number,
        lines=[line_request(order, 1, "too_big")],
        replacement=[LineRequest(scarf, 1)],
        location=duomo,
        actor=associate,
    )
    assert (result.as_points, result.credit_used, result.credit_left) == (
        D("5.00"),
        D("14.90"),
        D("26.00"),
    )
    assert credit_of(customer) == D("26.00")
    return result


def credit_left_until(result):
    credit = result.return_request.store_credit.get(kind=StoreCreditKind.RETURN)
    return timezone.localdate(credit.expires_at)


def test_the_exchange_receipt_lists_the_points_back_and_the_credit_left(
    nora, exchanged
):
    user, _ = nora
    until = credit_left_until(exchanged)

    body = (
        api_client_for(user)
        .get(f"/api/v1/orders/{exchanged.order.number}/receipt/")
        .json()
    )

    assert body["kind"] == "exchange"
    assert body["returned"]["total"] == "45.90"
    assert body["sold"]["total"] == "14.90"
    assert [(t["method"], t["amount"]) for t in body["tenders"]] == [
        ("store_credit", "14.90")
    ]
    assert [
        (t["method"], t["label"], t["amount"], t["valid_until"])
        for t in body["refunds"]
    ] == [
        ("loyalty_points", "Loyalty points", "5.00", None),
        ("store_credit", "Store credit left", "26.00", until.isoformat()),
    ]
    accounted = sum(D(t["amount"]) for t in body["tenders"] + body["refunds"])
    assert accounted == D(body["returned"]["total"])


def test_the_printed_exchange_receipt_says_what_was_given_back(
    client, associate, exchanged
):
    until = credit_left_until(exchanged)
    client.force_login(associate)

    page = client.get(
        reverse("staff:receipt_print", args=[exchanged.order.number])
    ).content.decode()

    given_back = page.split('data-testid="receipt-refunds">')[1].split("</table>")[0]
    assert "Given back besides the new items" in page
    assert "Loyalty points" in given_back and "5.00 EUR" in given_back
    assert "Store credit left" in given_back and "26.00 EUR" in given_back
    assert f"valid until {until.day} {until:%B %Y}" in given_back
