"""The order page says what the order gave back, all of it: the refunds of its
payments and the store credit its returns gave instead, and lists its returns (how
each was paid back, linked where the viewer may open it); the admin's order page
lists them too. A pickup paid 30.00 by gift card, 1.00 in points and 277.80 by card,
its three items returned: one to the card, one as store credit at the counter, one
started online and refunded as store credit at another shop."""

from decimal import Decimal

import pytest
from django.urls import reverse

from customers.models import Channel
from omnistore.accounts.models import Role
from omnistore.accounts.services import assign_role
from orders.models import PaymentMethod, RefundMethod, Return
from orders.services.checkout import LineRequest, place_order
from orders.services.fulfilment import mark_picked, mark_ready
from orders.services.payments import PaymentRequest
from orders.services.pickups import collect_order
from orders.services.refunds import receive_and_refund_return, return_at_counter
from orders.services.returns import ReturnLineRequest, request_return
from tests.factories import LocationFactory, StaffFactory
from tests.orders.factories import CARD, stocked
from tests.orders.returns_helpers import shopper
from tests.orders.stored_value_helpers import PIN, gift_card, give_points

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]

PRICES = ("59.90", "99.00", "149.90")  # 308.80


@pytest.fixture(autouse=True)
def no_refund_limit(settings):
    settings.OMNISTORE_APPROVAL_REFUND_ABOVE = None


@pytest.fixture
def duomo():
    return LocationFactory(code="MI02", name="Milano Duomo")


@pytest.fixture
def roma():
    return LocationFactory(code="RM01", name="Roma Corso")


def collected_pickup(store, customer, prices=PRICES):
    """A pickup at ``store`` paid 30.00 by gift card, 100 points (1.00) and the rest
    by card online, collected."""
    give_points(customer, 100)
    card = gift_card("50.00")
    order = place_order(
        lines=[LineRequest(stocked(store, 3, price=p), 1) for p in prices],
        channel=Channel.WEB,
        fulfilment="pickup",
        pickup_store=store,
        customer=customer,
        payments=[
            PaymentRequest(
                method=PaymentMethod.GIFT_CARD,
                card_number=card.number,
                pin=PIN,
                amount=Decimal("30.00"),
            ),
            PaymentRequest(method=PaymentMethod.LOYALTY_POINTS, points=100),
            *CARD,
        ],
    )
    mark_picked(order=order, actor=None, location=store)
    order = mark_ready(order=order, actor=None, location=store)
    return collect_order(
        order=order, actor=None, code=order.pickup_code, location=store
    )


def counter_return(order, line, store, method):
    return return_at_counter(
        order=order.number,
        lines=[ReturnLineRequest(line.pk, 1, "too_small")],
        location=store,
        actor=StaffFactory(store=store),
        refund_method=method,
    )


@pytest.fixture
def returned(duomo, roma):
    """The order and its three returns, every item back: 308.80 given back."""
    _, customer = shopper()
    order = collected_pickup(duomo, customer)
    first, second, third = order.lines.order_by("id")
    to_card = counter_return(order, first, duomo, RefundMethod.ORIGINAL)
    as_credit = counter_return(order, second, duomo, RefundMethod.STORE_CREDIT)
    online = request_return(
        order=order.number,
        customer=customer,
        channel="web",
        lines=[ReturnLineRequest(third.pk, 1, "too_big")],
    )
    elsewhere = receive_and_refund_return(
        return_request=online,
        location=roma,
        actor=StaffFactory(store=roma),
        method=RefundMethod.STORE_CREDIT,
    )
    return order, to_card.code, as_credit.code, elsewhere.code


def order_page(client, order):
    response = client.get(reverse("staff:order_detail", args=[order.number]))
    assert response.status_code == 200
    return response


def link(code: str) -> str:
    return f'href="{reverse("staff:return_detail", args=[code])}"'


def test_the_order_page_counts_everything_given_back_and_lists_the_returns(
    client, duomo, returned
):
    order, to_card, as_credit, elsewhere = returned
    client.force_login(StaffFactory(store=duomo))

    page = order_page(client, order)

    html = page.content.decode()
    assert "Paid 308.80 EUR · refunded 308.80 EUR" in html
    assert page.context["refunded"] == Decimal("308.80")
    rows = {
        ret.code: (ret.status, ret.value, ret.refunded_as)
        for ret in page.context["order_returns"]
    }
    assert list(rows) == [to_card, as_credit, elsewhere]
    said = {
        code: [(t.label, t.amount) for t in parts]
        for code, (_, _, parts) in rows.items()
    }
    assert said == {
        to_card: [("Card online", Decimal("59.90"))],
        as_credit: [
            ("Loyalty points", Decimal("1.00")),
            ("Store credit", Decimal("98.00")),
        ],
        elsewhere: [("Store credit", Decimal("149.90"))],
    }
    assert [value for _, value, _ in rows.values()] == [Decimal(p) for p in PRICES]
    assert 'data-testid="order-returns"' in html
    assert "1.00 EUR to loyalty points, 98.00 EUR to store credit" in html
    assert "149.90 EUR to store credit" in html
    assert "Roma Corso" in html
    # An associate here opens this shop's returns; Roma's is Roma's desk's.
    assert link(to_card) in html and link(as_credit) in html
    assert elsewhere in html and link(elsewhere) not in html


def test_a_manager_of_both_shops_opens_the_return_refunded_at_the_other(
    client, duomo, roma, returned
):
    order, _, _, elsewhere = returned
    area = StaffFactory(store=duomo, role=Role.AREA_MANAGER)
    assign_role(user=area, role=Role.AREA_MANAGER, shops=[duomo, roma])
    client.force_login(area)

    html = order_page(client, order).content.decode()

    assert link(elsewhere) in html
    opened = client.get(reverse("staff:return_detail", args=[elsewhere]))
    assert opened.status_code == 200


@pytest.mark.parametrize("returns", [1, 3])
def test_the_order_page_with_returns_costs_a_fixed_number_of_queries(
    client, duomo, returns, django_assert_max_num_queries
):
    _, customer = shopper()
    order = collected_pickup(duomo, customer)
    for line, method in zip(
        order.lines.order_by("id")[:returns],
        [RefundMethod.ORIGINAL, RefundMethod.STORE_CREDIT, RefundMethod.STORE_CREDIT],
        strict=False,
    ):
        counter_return(order, line, duomo, method)
    client.force_login(StaffFactory(store=duomo))
    order_page(client, order)  # a session's first request notes its time

    # 14 of any order page (test_staff_orders), and the returns' refunds and credit
    with django_assert_max_num_queries(16):
        page = order_page(client, order)

    assert len(page.context["order_returns"]) == returns


def test_the_admin_order_page_lists_the_returns(admin_client, returned):
    order, to_card, as_credit, elsewhere = returned

    response = admin_client.get(reverse("admin:orders_order_change", args=[order.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    for code in (to_card, as_credit, elsewhere):
        ret = Return.objects.get(code=code)
        assert code in html
        assert reverse("admin:orders_return_change", args=[ret.pk]) in html
    assert "1.00 EUR to loyalty points, 98.00 EUR to store credit" in html
    assert "59.90 EUR to card online" in html
