"""The refund receipt of a return that paid an exchange says what the customer got
back: the store credit the new order spent is not given back, so it is listed as
spent on that order, and only what is left (if anything) as refunded — through the
API and on the slip printed at the desk; returned value = spent + given back."""

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
from tests.orders.till_helpers import open_counter_till

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


def exchanged(duomo, associate, customer, *, bought: str, new: str, **kwargs):
    """An item bought for ``bought`` by card, exchanged at the counter for one of
    ``new``."""
    item = stocked(duomo, 3, price=bought)
    other = stocked(duomo, 3, price=new)
    order = place_order(
        lines=[LineRequest(item, 1)],
        channel=Channel.STORE,
        fulfilment="carry_out",
        placing_location=duomo,
        staff=associate,
        customer=customer,
        payments=[PaymentRequest(method=PaymentMethod.CARD_IN_STORE)],
    )
    return exchange_items(
        order=order.number,
        lines=[line_request(order, 1, "too_big")],
        replacement=[LineRequest(other, 1)],
        location=duomo,
        actor=associate,
        **kwargs,
    )


def given_back(body: dict) -> list[tuple]:
    return [(t["method"], t["label"], t["amount"]) for t in body["refunds"]]


def test_credit_all_spent_on_the_new_order_is_not_on_the_refund_receipt(
    client, duomo, associate, nora
):
    """12.67 returned, the new 24.90 paid with its 12.67 of credit and 12.23 in
    cash: nothing was given back."""
    user, customer = nora
    open_counter_till(associate)
    result = exchanged(
        duomo,
        associate,
        customer,
        bought="12.67",
        new="24.90",
        payments=[PaymentRequest(PaymentMethod.CASH)],
    )
    assert (result.credit_used, result.paid) == (D("12.67"), D("12.23"))
    code, number = result.return_request.code, result.order.number

    body = api_client_for(user).get(f"/api/v1/returns/{code}/receipt/").json()

    assert body["kind"] == "return" and body["returned"]["total"] == "12.67"
    assert body["refunds"] == []
    assert (body["exchange_order_number"], body["exchange_paid"]) == (
        number,
        "12.67",
    )
    client.force_login(associate)
    page = client.get(reverse("staff:return_receipt_print", args=[code]))
    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-testid="receipt-refunds"' not in html
    assert "valid until" not in html
    spent = html.split('data-testid="receipt-exchange-paid">')[1].split("</table>")[0]
    assert f"Store credit spent on order {number}" in spent
    assert "12.67 EUR" in spent


def test_the_credit_the_new_order_left_is_what_the_refund_receipt_gives_back(
    duomo, associate, nora
):
    """45.90 returned, the new 14.90 paid with credit: 31.00 of it is left."""
    user, customer = nora
    result = exchanged(duomo, associate, customer, bought="45.90", new="14.90")
    credit = result.return_request.store_credit.get(kind=StoreCreditKind.RETURN)
    until = timezone.localdate(credit.expires_at).isoformat()

    body = (
        api_client_for(user)
        .get(f"/api/v1/returns/{result.return_request.code}/receipt/")
        .json()
    )

    assert given_back(body) == [("store_credit", "Store credit left", "31.00")]
    assert body["refunds"][0]["valid_until"] == until
    assert (body["exchange_order_number"], body["exchange_paid"]) == (
        result.order.number,
        "14.90",
    )
    accounted = D(body["exchange_paid"]) + sum(D(t["amount"]) for t in body["refunds"])
    assert accounted == D(body["returned"]["total"])


def test_a_plain_return_names_no_exchange(duomo, associate, nora):
    """A return without an exchange: its refunds as made, no order paid."""
    from orders.services.refunds import return_at_counter

    user, customer = nora
    item = stocked(duomo, 3, price="20.00")
    order = place_order(
        lines=[LineRequest(item, 1)],
        channel=Channel.STORE,
        fulfilment="carry_out",
        placing_location=duomo,
        staff=associate,
        customer=customer,
        payments=[PaymentRequest(method=PaymentMethod.CARD_IN_STORE)],
    )
    ret = return_at_counter(
        order=order.number,
        lines=[line_request(order, 1, "too_big")],
        location=duomo,
        actor=associate,
    )

    body = api_client_for(user).get(f"/api/v1/returns/{ret.code}/receipt/").json()

    assert given_back(body) == [("card_in_store", "Card in store", "20.00")]
    assert (body["exchange_order_number"], body["exchange_paid"]) == ("", None)
