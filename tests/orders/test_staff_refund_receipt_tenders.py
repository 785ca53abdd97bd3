"""A return refunded as store credit from a sale paid partly in points: the points
share goes back as points, the rest as store credit, and everything that tells the
customer or the desk so — the printed refund receipt, the API's receipt, the desk's
message, the return page's summary — lists each refund as it was made, never the
whole as store credit."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from omnistore.core.channels import Channel
from omnistore.staff.once import new_token
from orders.models import PaymentMethod, Return
from orders.services.checkout import LineRequest, place_order
from orders.services.payments import PaymentRequest
from tests.factories import StaffFactory
from tests.orders.factories import shop, stocked
from tests.orders.returns_helpers import api_client_for, shopper
from tests.orders.stored_value_helpers import credit_of, give_points, points_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]
D = Decimal


@pytest.fixture
def duomo():
    return shop(code="MI02", name="Milano Duomo")


@pytest.fixture
def associate(duomo):
    return StaffFactory(store=duomo)


@pytest.fixture
def desk(client, associate):
    client.force_login(associate)
    return client


@pytest.fixture
def nora():
    return shopper("nora@example.com")


@pytest.fixture
def order(duomo, associate, nora):
    """24.90 paid with 469 points (4.69) and 20.21 by card."""
    _, customer = nora
    give_points(customer, 469)
    shirt = stocked(duomo, 5, price="24.90", sku="WSH-00001-LBL-S")
    return place_order(
        lines=[LineRequest(shirt, 1)],
        channel=Channel.STORE,
        fulfilment="carry_out",
        placing_location=duomo,
        staff=associate,
        customer=customer,
        payments=[
            PaymentRequest(method=PaymentMethod.LOYALTY_POINTS, points=469),
            PaymentRequest(method=PaymentMethod.CARD_IN_STORE),
        ],
    )


def test_each_refund_is_listed_as_it_was_made(desk, order, nora):
    user, customer = nora
    line = order.lines.get()

    response = desk.post(
        reverse("staff:return_start", args=[order.number]),
        {
            "once": new_token(),
            f"qty_{line.pk}": "1",
            f"reason_{line.pk}": "changed_mind",
            f"condition_{line.pk}": "sellable",
            "refund_method": "store_credit",
            "action": "refund",
        },
    )

    assert response.status_code == 302
    ret = Return.objects.get()
    assert ret.refund_total == D("24.90")
    assert (credit_of(customer), points_of(customer)) == (D("20.21"), 469)
    told = desk.get(response["Location"]).content.decode()
    assert (
        f"Return {ret.code} refunded: 4.69 EUR to loyalty points, 20.21 EUR to "
        "store credit." in told
    )

    printed = desk.get(reverse("staff:return_receipt_print", args=[ret.code]))
    refunds = printed.content.decode().split('data-testid="receipt-refunds">')[1]
    refunds = refunds.split("</table>")[0]
    assert "Loyalty points" in refunds and "4.69 EUR" in refunds
    assert "Store credit" in refunds and "20.21 EUR" in refunds
    assert "24.90" not in refunds

    body = api_client_for(user).get(f"/api/v1/returns/{ret.code}/receipt/").json()
    assert [(t["method"], t["amount"]) for t in body["refunds"]] == [
        ("loyalty_points", "4.69"),
        ("store_credit", "20.21"),
    ]
    assert body["refunds"][0]["valid_until"] is None


def test_the_return_page_lists_each_refund_as_it_was_made(desk, order):
    line = order.lines.get()
    refunded = desk.post(
        reverse("staff:return_start", args=[order.number]),
        {
            "once": new_token(),
            f"qty_{line.pk}": "1",
            f"reason_{line.pk}": "changed_mind",
            f"condition_{line.pk}": "sellable",
            "refund_method": "store_credit",
            "action": "refund",
        },
    )
    assert refunded.status_code == 302
    ret = Return.objects.get()
    assert (credit_of(ret.customer), points_of(ret.customer)) == (D("20.21"), 469)

    page = desk.get(reverse("staff:return_detail", args=[ret.code])).content.decode()

    summary = page.split('data-testid="refund-summary">')[1].split("</div>\n</div>")[0]
    assert re.findall(
        r'data-testid="refund-tender"><strong>([^<]+)</strong> to ([^<]+?) ?<', summary
    ) == [("4.69 EUR", "loyalty points"), ("20.21 EUR", "store credit")]
    assert "24.90" not in summary
    assert "store credit <span" in summary and ">until " in summary  # its expiry
    said = page.split('data-testid="refunded">')[1].split("</div>")[0]
    assert said == "Refunded 4.69 EUR to loyalty points, 20.21 EUR to store credit."
    assert 'data-testid="close"' in page
