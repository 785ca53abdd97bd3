"""Exchanges through the services: the replacement paid with the returned value, the
difference left as store credit, and nothing changed when the replacement is short."""

from decimal import Decimal

import pytest

from inventory.selectors import ledger_discrepancies
from omnistore.core.exceptions import InsufficientStock, ValidationFailed
from orders.models import (
    Order,
    OrderStatus,
    Payment,
    PaymentMethod,
    Return,
    TillMovement,
    TillMovementKind,
)
from orders.selectors.credit import store_credit_discrepancies
from orders.services.checkout import LineRequest
from orders.services.exchanges import exchange_items
from orders.services.payments import PaymentRequest
from tests.customers.factories import make_customer
from tests.factories import StaffFactory
from tests.orders.factories import on_hand, shop, stocked, variant
from tests.orders.returns_helpers import counter_sale, line_request
from tests.orders.till_helpers import open_counter_till

pytestmark = pytest.mark.django_db


@pytest.fixture
def store():
    return shop(code="MI01", name="Milano Centro")


@pytest.fixture
def associate(store):
    return StaffFactory(store=store, first_name="Giulia", last_name="Bianchi")


# --- exchanges ------------------------------------------------------------------------


def test_an_exchange_pays_the_replacement_with_the_returned_value(store, associate):
    small = stocked(store, 5, price="40.00")
    large = stocked(store, 5, price="45.00")
    customer = make_customer(phone="+393331234567")
    sale = counter_sale(
        store=store, lines=[(small, 1)], staff=associate, customer=customer
    )
    till = open_counter_till(associate)

    result = exchange_items(
        order=sale.number,
        lines=[line_request(sale, 1, "too_small")],
        replacement=[LineRequest(large, 1)],
        location=store,
        actor=associate,
        payments=[PaymentRequest(PaymentMethod.CASH)],
    )

    assert result.credit_used == Decimal("40.00")
    assert result.paid == Decimal("5.00")
    assert result.credit_left == 0
    assert result.return_request.exchange_order == result.order
    assert result.order.status == OrderStatus.COMPLETED
    assert sorted(
        Payment.objects.filter(order=result.order).values_list("method", "amount")
    ) == [("cash", Decimal("5.00")), ("store_credit", Decimal("40.00"))]
    assert on_hand(small, store) == 5
    assert on_hand(large, store) == 4
    assert ledger_discrepancies() == []
    assert store_credit_discrepancies() == []
    booked = TillMovement.objects.get(session=till, kind=TillMovementKind.SALE)
    assert (booked.order, booked.amount, booked.actor) == (
        result.order,
        Decimal("5.00"),
        associate,
    )


def test_an_exchange_for_less_leaves_the_difference_as_store_credit(store, associate):
    coat = stocked(store, 5, price="90.00")
    scarf = stocked(store, 5, price="25.00")
    customer = make_customer(phone="+393331234567")
    sale = counter_sale(
        store=store, lines=[(coat, 1)], staff=associate, customer=customer
    )

    result = exchange_items(
        order=sale.number,
        lines=[line_request(sale, 1, "changed_mind")],
        replacement=[LineRequest(scarf, 1)],
        location=store,
        actor=associate,
    )

    assert (result.credit_used, result.paid, result.credit_left) == (
        Decimal("25.00"),
        0,
        Decimal("65.00"),
    )
    customer.refresh_from_db()
    assert customer.store_credit_balance == Decimal("65.00")


def test_an_exchange_whose_replacement_is_short_changes_nothing(store, associate):
    shirt = stocked(store, 5, price="40.00")
    rare = variant(price="40.00")  # none anywhere
    customer = make_customer(phone="+393331234567")
    sale = counter_sale(
        store=store, lines=[(shirt, 1)], staff=associate, customer=customer
    )

    with pytest.raises(InsufficientStock):
        exchange_items(
            order=sale.number,
            lines=[line_request(sale)],
            replacement=[LineRequest(rare, 1)],
            location=store,
            actor=associate,
        )

    assert not Return.objects.exists()
    customer.refresh_from_db()
    assert customer.store_credit_balance == 0
    assert on_hand(shirt, store) == 4
    assert Order.objects.count() == 1


def test_a_cash_difference_without_an_open_till_is_refused_and_nothing_changes(
    store, associate
):
    """The top-up in cash goes into the drawer: with no till open at the shop the
    exchange is refused before anything is returned or sold."""
    small = stocked(store, 5, price="40.00")
    large = stocked(store, 5, price="45.00")
    customer = make_customer(phone="+393331234567")
    sale = counter_sale(
        store=store, lines=[(small, 1)], staff=associate, customer=customer
    )

    with pytest.raises(ValidationFailed) as refused:
        exchange_items(
            order=sale.number,
            lines=[line_request(sale, 1, "too_small")],
            replacement=[LineRequest(large, 1)],
            location=store,
            actor=associate,
            payments=[PaymentRequest(PaymentMethod.CASH)],
        )

    assert refused.value.code == "till_not_open"
    assert "open the till" in refused.value.message
    assert not Return.objects.exists() and Order.objects.count() == 1
    assert on_hand(large, store) == 5 and not TillMovement.objects.exists()
