"""A posted return lands at its market's warehouse: the warehouse's staff find it at
the returns desk by its code and receive and refund it as a shop does. A warehouse
has no till and no counter: it refunds to the payments that are not cash, or as
store credit, never in cash, and offers no exchange."""

from decimal import Decimal

import pytest
from django.urls import reverse

from omnistore.core.channels import Channel
from orders.models import (
    RefundMethod,
    Return,
    ReturnStatus,
    StoreCreditTransaction,
    TillMovement,
)
from orders.services.fulfilment import mark_delivered, mark_picked, ship_order
from orders.services.returns import ReturnLineRequest, request_return
from tests.factories import StaffFactory
from tests.orders.factories import delivery_order, on_hand, shop, stocked, warehouse
from tests.orders.returns_helpers import counter_sale, shopper
from tests.orders.till_helpers import open_counter_till

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def piacenza():
    return warehouse(
        code="WH01",
        name="Piacenza Returns",
        address="Via Emilia Parmense 160",
        postcode="29122",
        city="Piacenza",
    )


@pytest.fixture
def desk(client, piacenza):
    """The warehouse's goods-in, signed in at the returns desk."""
    client.force_login(StaffFactory(store=piacenza))
    return client


@pytest.fixture
def milano():
    return shop(code="MI01", name="Milano Centro")


def posted_return(order, customer) -> Return:
    return request_return(
        order=order.number,
        customer=customer,
        channel=Channel.WEB,
        lines=[ReturnLineRequest(order.lines.get().pk, 1, "too_big")],
    )


def delivered(piacenza, units=1):
    """A web order delivered from the warehouse, paid by card."""
    _, customer = shopper()
    coat = stocked(piacenza, 3, price="80.00")
    order = delivery_order(lines=[(coat, units)], customer=customer)
    mark_picked(order=order)
    ship_order(order=order)
    return mark_delivered(order=order), coat


@pytest.fixture
def card_return(piacenza):
    """A web order delivered from the warehouse, paid by card, posted back."""
    order, coat = delivered(piacenza)
    return posted_return(order, order.customer), coat


@pytest.fixture
def cash_sale(milano):
    """A customer's sale paid in cash at a shop, delivered from the warehouse."""
    associate = StaffFactory(store=milano)
    open_counter_till(associate)
    _, customer = shopper("cash@example.com")
    coat = stocked(milano, 3, price="80.00")
    return counter_sale(
        store=milano,
        lines=[(coat, 1)],
        staff=associate,
        customer=customer,
        tenders=[("cash", None)],
    )


def refund_options(page: str) -> dict[str, bool]:
    """Each refund method offered, and whether it can be chosen."""
    options = {}
    for method in RefundMethod.values:
        start = page.index(f'value="{method}"')
        tag = page[page.rindex("<input", 0, start) : page.index(">", start)]
        options[method] = "disabled" not in tag
    return options


def receive(desk, ret, method, **headers):
    line = ret.lines.get()
    return desk.post(
        reverse("staff:return_receive", args=[ret.code]),
        {
            f"condition_{line.pk}": "sellable",
            f"disposition_{line.pk}": "",
            "refund_method": method,
            "action": "refund",
        },
        **headers,
    )


def test_the_warehouse_finds_receives_and_refunds_a_posted_return(
    desk, piacenza, card_return
):
    ret, coat = card_return

    found = desk.get(reverse("staff:returns_desk"), {"q": ret.code})
    assert found.status_code == 302
    assert found["Location"] == reverse("staff:return_detail", args=[ret.code])
    page = desk.get(found["Location"]).content.decode()
    assert "Receive at Piacenza Returns" in page
    assert refund_options(page) == {"original": True, "store_credit": True}

    response = receive(desk, ret, "original")

    assert response.status_code == 302
    ret.refresh_from_db()
    assert ret.status == ReturnStatus.REFUNDED
    assert ret.receiving_location == piacenza
    assert ret.refund_total == Decimal("80.00")
    assert ret.refunds.get().payment.method == "card_online"
    assert on_hand(coat, piacenza) == 3  # back on the warehouse's shelf


def test_a_warehouse_refunds_cash_paid_as_store_credit_never_in_cash(desk, cash_sale):
    ret = posted_return(cash_sale, cash_sale.customer)
    page = desk.get(reverse("staff:return_detail", args=[ret.code])).content.decode()
    assert refund_options(page) == {"original": False, "store_credit": True}
    assert "a warehouse has no till to pay cash from" in page

    refused = receive(desk, ret, "original", **HTMX)
    assert refused.status_code == 422
    ret.refresh_from_db()
    assert ret.status == ReturnStatus.REQUESTED
    assert not TillMovement.objects.filter(kind="refund").exists()

    assert receive(desk, ret, "store_credit").status_code == 302
    ret.refresh_from_db()
    assert ret.status == ReturnStatus.REFUNDED
    credit = StoreCreditTransaction.objects.get(customer=cash_sale.customer)
    assert credit.amount == Decimal("80.00")


def test_a_cash_walk_in_sale_is_sent_to_a_shop(desk, milano):
    """No customer profile, so no store credit, and no till for the cash: the
    warehouse says where it can be refunded instead of offering what fails."""
    associate = StaffFactory(store=milano)
    open_counter_till(associate)
    coat = stocked(milano, 3, price="80.00")
    sale = counter_sale(
        store=milano, lines=[(coat, 1)], staff=associate, tenders=[("cash", None)]
    )

    page = desk.get(reverse("staff:return_start", args=[sale.number])).content.decode()

    assert "Paid in cash: refund it at a shop, from its till." in page
    assert 'data-testid="refund-elsewhere"' in page


def test_a_warehouse_offers_no_exchange(desk, piacenza):
    order, _ = delivered(piacenza, units=2)

    page = desk.get(reverse("staff:return_start", args=[order.number]))
    exchange = desk.get(reverse("staff:return_exchange", args=[order.number]))

    assert 'data-testid="exchange-instead"' not in page.content.decode()
    assert "No exchange here: A warehouse has no counter" in page.content.decode()
    assert 'data-testid="exchange-form"' not in exchange.content.decode()
    assert "A warehouse has no counter" in exchange.content.decode()


def test_a_cash_sale_posted_back_is_refunded_in_cash_where_it_was_sold(
    client, desk, piacenza, milano, cash_sale
):
    ret = posted_return(cash_sale, cash_sale.customer)
    line = ret.lines.get()
    received = desk.post(
        reverse("staff:return_receive", args=[ret.code]),
        {
            f"condition_{line.pk}": "sellable",
            f"disposition_{line.pk}": "",
            "refund_method": "store_credit",
            "action": "receive",
        },
    )
    assert received.status_code == 302
    page = desk.get(reverse("staff:return_detail", args=[ret.code])).content.decode()
    assert "or at Milano Centro, the shop that sold it" in page

    # another shop's desk does not see it; the shop that took the cash does
    client.force_login(StaffFactory(store=shop(code="TO01", name="Torino")))
    assert (
        client.get(reverse("staff:return_detail", args=[ret.code])).status_code == 404
    )
    seller = StaffFactory(store=milano)
    client.force_login(seller)
    assert (
        client.get(reverse("staff:return_detail", args=[ret.code])).status_code == 200
    )
    refunded = client.post(
        reverse("staff:return_refund", args=[ret.code]), {"refund_method": "original"}
    )

    assert refunded.status_code == 302
    ret.refresh_from_db()
    assert ret.status == ReturnStatus.REFUNDED
    paid_out = TillMovement.objects.get(kind="refund")
    assert paid_out.amount == Decimal("-80.00")
