"""The customer's receipts through the API say by how much the cash was rounded to
the drawer's smallest coin: 56.61 francs paid in cash are 56.60 in coins, and the
same 56.61 refunded in cash are 56.60 handed back, both -0.01; a card sale, paid to
the cent, has no rounding."""

from decimal import Decimal

import pytest

from inventory.models import PriceList, PriceListPrice
from orders.models import PaymentMethod
from orders.services.refunds import return_at_counter
from orders.services.till import TillBooking
from tests.factories import StaffFactory
from tests.orders.factories import shop, stocked
from tests.orders.returns_helpers import (
    api_client_for,
    counter_sale,
    line_request,
    shopper,
)
from tests.orders.till_helpers import open_counter_till

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]
D = Decimal


@pytest.fixture
def zurich():
    return shop(code="ZH01", name="Zürich", country="CH", city="Zürich")


@pytest.fixture
def clerk(zurich):
    return StaffFactory(store=zurich)


@pytest.fixture
def shirt(zurich):
    item = stocked(zurich, 5, price="54.00", sku="WSH-00001-WHT-XS")
    PriceListPrice.objects.create(
        price_list=PriceList.objects.get(code="CHF"), variant=item, price=D("56.61")
    )
    return item


@pytest.fixture
def nora():
    return shopper("nora@example.com")


def test_the_sale_and_refund_receipts_say_how_the_cash_was_rounded(
    zurich, clerk, shirt, nora
):
    user, customer = nora
    session = open_counter_till(clerk)
    order = counter_sale(
        store=zurich,
        lines=[(shirt, 1)],
        staff=clerk,
        customer=customer,
        tenders=[(PaymentMethod.CASH, None)],
        till=TillBooking(session, D("100")),
    )
    api = api_client_for(user)

    sold = api.get(f"/api/v1/orders/{order.number}/receipt/").json()

    assert sold["tenders"][0]["amount"] == "56.61"
    assert (sold["cash_tendered"], sold["change"], sold["rounding"]) == (
        "100.00",
        "43.40",
        "-0.01",
    )

    ret = return_at_counter(
        order=order.number,
        lines=[line_request(order, 1)],
        location=zurich,
        actor=clerk,
    )
    refunded = api.get(f"/api/v1/returns/{ret.code}/receipt/")

    assert refunded.status_code == 200, refunded.json()
    body = refunded.json()
    assert [(t["method"], t["amount"]) for t in body["refunds"]] == [("cash", "56.61")]
    assert body["rounding"] == "-0.01"  # 56.60 handed back in coins


def test_a_sale_paid_to_the_cent_has_no_rounding(zurich, clerk, shirt, nora):
    user, customer = nora
    order = counter_sale(
        store=zurich, lines=[(shirt, 1)], staff=clerk, customer=customer
    )

    body = api_client_for(user).get(f"/api/v1/orders/{order.number}/receipt/").json()

    assert body["tenders"][0]["method"] == PaymentMethod.CARD_IN_STORE
    assert "rounding" in body and body["rounding"] is None
