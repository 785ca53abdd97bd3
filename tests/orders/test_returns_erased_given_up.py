"""What an erased customer gave up stays given up. Their store credit and points were
written off when their profile was erased, so what an order of theirs paid with them
does not come back on a return either: a return whose refund would reach those
payments is refused when it is started (receive and refund, or receive only), with
why, and nothing is written: no return, no stock back, no ledger row. The desk says so
in place of *Start a return*. What the order's other payments can take still comes
back to them, and the points ledger itself gives no points back to an erased
profile."""

from __future__ import annotations

from decimal import Decimal
from html import unescape

import pytest
from django.urls import reverse

from customers.models import Customer, CustomerEvent, LoyaltyTransaction
from customers.services.erasure import erase_customer
from customers.services.loyalty import restore_points
from omnistore.accounts.models import Role
from omnistore.core.exceptions import Conflict, ReturnNotAllowed
from omnistore.staff.once import new_token
from orders.models import (
    PaymentMethod,
    Refund,
    RefundMethod,
    Return,
    ReturnStatus,
    StoreCreditTransaction,
)
from orders.services.checkout import LineRequest, place_order
from orders.services.payments import PaymentRequest
from orders.services.refunds import return_at_counter
from orders.services.returns import ReturnLineRequest
from tests.customers.factories import make_customer
from tests.factories import StaffFactory
from tests.orders.factories import deliver_outbox, on_hand, shop, stocked
from tests.orders.stored_value_helpers import give_credit, give_points

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]
D = Decimal
HTMX = {"HTTP_HX_REQUEST": "true"}

GIVEN_UP = {
    PaymentMethod.STORE_CREDIT: (
        "Paid with store credit given up when the customer's profile was erased: "
        "nothing can go back to it, so this return cannot be taken."
    ),
    PaymentMethod.LOYALTY_POINTS: (
        "Paid with points given up when the customer's profile was erased: "
        "nothing can go back to them, so this return cannot be taken."
    ),
}


@pytest.fixture
def store():
    return shop(code="TO01", name="Torino Centro")


@pytest.fixture
def clerk(store):
    """A manager, so no refund waits for another's approval."""
    return StaffFactory(store=store, role=Role.STORE_MANAGER)


def by(tender: str, amount: str) -> PaymentRequest:
    """``amount`` paid with the customer's store credit or points."""
    if tender == PaymentMethod.LOYALTY_POINTS:
        return PaymentRequest(method=tender, points=int(D(amount) * 100))
    return PaymentRequest(method=tender, amount=D(amount))


def erased_sale(store, clerk, tender: str, *, units=1, card: str = ""):
    """Eva buys ``units`` shirts at 34.90 at the counter, paying with her store
    credit or points (and ``card`` by card); then she has her data erased and
    gives up what she still held."""
    eva = make_customer(email="eva@example.com", first_name="Eva")
    stored = str(D("34.90") * units - D(card or "0"))
    if tender == PaymentMethod.LOYALTY_POINTS:
        give_points(eva, int(D(stored) * 100))
    else:
        give_credit(eva, stored)
    payments = [by(tender, stored)]
    if card:
        payments.append(
            PaymentRequest(method=PaymentMethod.CARD_IN_STORE, amount=D(card))
        )
    sale = place_order(
        lines=[LineRequest(stocked(store, 5, price="34.90"), units)],
        channel="store",
        fulfilment="carry_out",
        placing_location=store,
        staff=clerk,
        customer=eva,
        payments=payments,
    )
    deliver_outbox()
    erase_customer(customer=eva, forfeit_balance=True)
    sale.refresh_from_db()
    assert sale.customer.is_anonymised
    return sale


def books(sale) -> tuple:
    """What a return would move: the returns, the stock on hand, the refunds and
    the ledger rows and timeline events on the erased profile."""
    eva = sale.customer
    return (
        Return.objects.count(),
        on_hand(sale.lines.get().variant, sale.placing_location),
        Refund.objects.count(),
        LoyaltyTransaction.objects.filter(customer=eva).count(),
        StoreCreditTransaction.objects.filter(customer=eva).count(),
        CustomerEvent.objects.filter(customer=eva).count(),
    )


def take_back(sale, store, clerk, units=1, *, refund_now=True):
    return return_at_counter(
        order=sale.number,
        lines=[ReturnLineRequest(sale.lines.get().pk, units, "too_small")],
        location=store,
        actor=clerk,
        refund_now=refund_now,
    )


@pytest.mark.parametrize(
    "tender", [PaymentMethod.STORE_CREDIT, PaymentMethod.LOYALTY_POINTS]
)
@pytest.mark.parametrize("refund_now", [True, False], ids=["refund", "receive-only"])
def test_a_return_paid_with_what_the_erasure_gave_up_is_refused_at_the_counter(
    store, clerk, tender, refund_now
):
    sale = erased_sale(store, clerk, tender)
    before = books(sale)

    with pytest.raises(ReturnNotAllowed) as refused:
        take_back(sale, store, clerk, refund_now=refund_now)

    assert refused.value.code == "given_up_at_erasure"
    assert refused.value.message == GIVEN_UP[tender]
    assert refused.value.extra["refund"] == [GIVEN_UP[tender]]
    assert refused.value.extra["given_up"] == "34.90"
    assert books(sale) == before
    eva = Customer.objects.get(pk=sale.customer_id)
    assert (eva.store_credit_balance, eva.points_balance) == (D("0.00"), 0)


def test_the_desk_says_why_and_takes_nothing_back(client, store, clerk):
    """Found by its number the order offers no *Start a return* but says why; sent
    anyway, *Receive only* is refused (422) with why, and nothing is received."""
    sale = erased_sale(store, clerk, PaymentMethod.STORE_CREDIT)
    before = books(sale)
    client.force_login(clerk)

    found = client.get(reverse("staff:returns_desk"), {"q": sale.number}, **HTMX)

    page = unescape(found.content.decode())
    assert 'data-testid="found-order"' in page
    assert "Start a return" not in page
    assert (
        "What is left of this order was paid with store credit given up when the "
        "customer's profile was erased: nothing can go back to it, so no return of "
        "it can be taken."
    ) in page

    start = unescape(
        client.get(reverse("staff:return_start", args=[sale.number])).content.decode()
    )
    said = (
        "What is left of this order was paid with store credit given up when the "
        "customer's profile was erased: nothing can go back to it, so no return of "
        "it can be taken."
    )
    assert 'data-testid="given-up"' in start and said in start
    assert 'name="refund_method"' not in start  # no form to fill in for nothing

    line = sale.lines.get()
    refused = client.post(
        reverse("staff:return_start", args=[sale.number]),
        {
            "once": new_token(),
            f"qty_{line.pk}": "1",
            f"reason_{line.pk}": "too_small",
            f"condition_{line.pk}": "sellable",
            "refund_method": RefundMethod.ORIGINAL,
            "action": "receive",
        },
    )

    assert refused.status_code == 422
    assert said in unescape(refused.content.decode())
    assert books(sale) == before


def test_what_the_card_paid_still_comes_back_and_no_more(store, clerk):
    """Two shirts, 34.90 by card and 34.90 in points: the first goes back to the
    card; the second would reach the points given up, and is refused."""
    sale = erased_sale(
        store, clerk, PaymentMethod.LOYALTY_POINTS, units=2, card="34.90"
    )

    first = take_back(sale, store, clerk)

    assert (first.status, first.refund_total) == (ReturnStatus.REFUNDED, D("34.90"))
    card = sale.payments.get(method=PaymentMethod.CARD_IN_STORE)
    assert card.refunded_amount == D("34.90")
    before = books(sale)

    with pytest.raises(ReturnNotAllowed) as refused:
        take_back(sale, store, clerk)

    assert refused.value.message == GIVEN_UP[PaymentMethod.LOYALTY_POINTS]
    assert books(sale) == before
    assert Customer.objects.get(pk=sale.customer_id).points_balance == 0


def test_a_return_received_before_takes_what_the_card_can_give_back(store, clerk):
    """The first shirt received, its refund still to be made, will take the card's
    34.90: the second shirt could only go back to the store credit given up."""
    sale = erased_sale(store, clerk, PaymentMethod.STORE_CREDIT, units=2, card="34.90")
    waiting = take_back(sale, store, clerk, refund_now=False)
    assert waiting.status == ReturnStatus.RECEIVED
    before = books(sale)

    with pytest.raises(ReturnNotAllowed) as refused:
        take_back(sale, store, clerk, refund_now=False)

    assert refused.value.message == GIVEN_UP[PaymentMethod.STORE_CREDIT]
    assert books(sale) == before


def test_a_return_reaching_past_the_card_says_how_much_the_card_takes(store, clerk):
    sale = erased_sale(store, clerk, PaymentMethod.STORE_CREDIT, units=2, card="40.00")

    with pytest.raises(ReturnNotAllowed) as refused:
        take_back(sale, store, clerk, units=2)

    assert refused.value.message == (
        "29.80 EUR of its 69.80 EUR refund would go back to store credit given up "
        "when the customer's profile was erased: nothing can go back to it, so this "
        "return cannot be taken: the other payments take back 40.00 EUR at most, "
        "return fewer items."
    )
    assert not Return.objects.exists()


def test_a_card_paid_order_of_an_erased_customer_still_comes_back(store, clerk):
    eva = make_customer(email="eva@example.com")
    sale = place_order(
        lines=[LineRequest(stocked(store, 5, price="34.90"), 1)],
        channel="store",
        fulfilment="carry_out",
        placing_location=store,
        staff=clerk,
        customer=eva,
        payments=[PaymentRequest(method=PaymentMethod.CARD_IN_STORE)],
    )
    erase_customer(customer=eva, forfeit_balance=True)

    ret = take_back(sale, store, clerk)

    assert (ret.status, ret.refund_total) == (ReturnStatus.REFUNDED, D("34.90"))
    assert sale.payments.get().refunded_amount == D("34.90")


def test_the_points_ledger_gives_no_points_back_to_an_erased_profile():
    """The backstop: whatever path points come back by, none land on an erased
    profile, as no store credit does."""
    eva = make_customer(email="eva@example.com")
    erase_customer(customer=eva)

    with pytest.raises(Conflict) as refused:
        restore_points(
            customer=eva.pk,
            points=3490,
            reason="Points given back: return R-1 of order OS-1",
            reference_type="refund",
            reference_id="return:R-1:1",
        )

    assert refused.value.code == "profile_erased"
    assert refused.value.extra["points"] == [
        "No points were given back: the customer's profile was erased, so nobody "
        "could ever spend points on it."
    ]
    assert not LoyaltyTransaction.objects.filter(kind="restore").exists()
    assert Customer.objects.get(pk=eva.pk).points_balance == 0
