"""A return whose refund can never be made is not taken. A gift card that is void or
past its date takes no money back, and where store credit cannot take its share
either (a sale without a customer profile, an erased profile) that share can go
nowhere: a return reaching it is refused when it is started and when its goods are
received, with why, nothing written, and the desk says so in place of the form, as
it does for what an erased customer gave up. The desk offers no return either when
what the payments can still take is less than even one unit left refunds. A return
received before its refund became impossible has one way out: a manager of its shop
closes it without a refund, saying why, kept on its history and the customer's
timeline."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone

from customers.models import CustomerEvent
from customers.services.erasure import erase_customer
from omnistore.accounts.models import Role
from omnistore.core.exceptions import (
    Conflict,
    IllegalTransition,
    PermissionDenied,
    ReturnNotAllowed,
    ValidationFailed,
)
from omnistore.staff.once import new_token
from orders.models import (
    GiftCard,
    PaymentMethod,
    Refund,
    RefundMethod,
    Return,
    ReturnStatus,
    ReturnStatusChange,
)
from orders.services.checkout import LineRequest, place_order
from orders.services.giftcards import void_gift_card
from orders.services.payments import PaymentRequest
from orders.services.refunds import receive_return, refund_return, return_at_counter
from orders.services.return_endings import close_return, close_without_refund
from orders.services.returns import ReturnLineRequest, request_return
from tests.customers.factories import make_customer
from tests.factories import StaffFactory
from tests.orders.factories import deliver_outbox, on_hand, shop, stocked
from tests.orders.stored_value_helpers import PIN, gift_card, give_points

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]
D = Decimal
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def store():
    return shop(code="TO01", name="Torino Centro")


@pytest.fixture
def manager(store):
    """A manager, so no refund waits for another's approval."""
    return StaffFactory(store=store, role=Role.STORE_MANAGER)


@pytest.fixture
def associate(store):
    return StaffFactory(store=store, role=Role.ASSOCIATE)


def gift_card_sale(store, staff, *, customer=None, units=1):
    """A jacket at 59.90 (``units`` of them), 50.00 paid by gift card and the rest
    by card, at the counter; with no ``customer``, a walk-in sale."""
    card = gift_card("50.00")
    sale = place_order(
        lines=[LineRequest(stocked(store, 5, price="59.90"), units)],
        channel="store",
        fulfilment="carry_out",
        placing_location=store,
        staff=staff,
        customer=customer,
        payments=[
            PaymentRequest(
                method=PaymentMethod.GIFT_CARD,
                card_number=card.number,
                pin=PIN,
                amount=D("50.00"),
            ),
            PaymentRequest(method=PaymentMethod.CARD_IN_STORE),
        ],
    )
    return sale, card


def close_card(card, how: str) -> None:
    if how == "void":
        void_gift_card(card=card, reason="Reported stolen", actor=None)
    else:  # past its date
        GiftCard.objects.filter(pk=card.pk).update(
            expires_at=timezone.now() - timedelta(days=1)
        )


def take_back(sale, store, staff, *, refund_now=False, units=1):
    return return_at_counter(
        order=sale.number,
        lines=[ReturnLineRequest(sale.lines.get().pk, units, "too_small")],
        location=store,
        actor=staff,
        refund_now=refund_now,
    )


def books(sale) -> tuple:
    """What taking a return back would move: returns, stock on hand, refunds."""
    return (
        Return.objects.count(),
        on_hand(sale.lines.get().variant, sale.placing_location),
        Refund.objects.count(),
    )


def start_post(sale, action="receive") -> dict:
    line = sale.lines.get()
    return {
        "once": new_token(),
        f"qty_{line.pk}": "1",
        f"reason_{line.pk}": "too_small",
        f"condition_{line.pk}": "sellable",
        "refund_method": RefundMethod.ORIGINAL,
        "action": action,
    }


WALK_IN_VOID = (
    "50.00 EUR of its 59.90 EUR refund would go back to the gift card {card}, "
    "which is void: nothing can go back to it, and the order has no customer "
    "profile to hold store credit, so this return cannot be taken: the other "
    "payments take back 9.90 EUR at most, return fewer items."
)


@pytest.mark.parametrize("how", ["void", "expired"])
@pytest.mark.parametrize("refund_now", [True, False], ids=["refund", "receive-only"])
def test_a_walk_in_return_reaching_a_closed_gift_card_is_refused_at_the_counter(
    store, manager, how, refund_now
):
    sale, card = gift_card_sale(store, manager)
    close_card(card, how)
    before = books(sale)

    with pytest.raises(ReturnNotAllowed) as refused:
        take_back(sale, store, manager, refund_now=refund_now)

    assert refused.value.status == 409
    assert refused.value.code == "gift_card_refund_blocked"
    assert f"the gift card {card.masked_number}, which " in refused.value.message
    assert "the order has no customer profile to hold store credit" in (
        refused.value.message
    )
    assert refused.value.extra["given_up"] == "50.00"
    assert books(sale) == before


def test_receiving_a_return_whose_gift_card_closed_since_is_refused(store, manager):
    """Started while the card was open, the goods are brought in after it was
    voided: nothing is received, nothing restocked."""
    sale, card = gift_card_sale(store, manager)
    ret = request_return(
        order=sale.number,
        lines=[ReturnLineRequest(sale.lines.get().pk, 1, "too_small")],
        channel="store",
        actor=manager,
        location=store,
    )
    close_card(card, "void")
    stock = on_hand(sale.lines.get().variant, store)

    with pytest.raises(ReturnNotAllowed) as refused:
        receive_return(return_request=ret, location=store, actor=manager)

    assert refused.value.message == WALK_IN_VOID.format(card=card.masked_number)
    ret.refresh_from_db()
    assert ret.status == ReturnStatus.REQUESTED
    assert on_hand(sale.lines.get().variant, store) == stock


def test_the_desk_says_why_in_place_of_the_form_and_refuses_a_post(
    client, store, manager
):
    """An erased customer's order paid by a gift card voided since: the start page
    says why instead of offering *Receive only*, and a POST of it anyway is refused
    (422) with nothing received."""
    eva = make_customer(email="eva@example.com")
    sale, card = gift_card_sale(store, manager, customer=eva)
    erase_customer(customer=eva, forfeit_balance=True)
    close_card(card, "void")
    before = books(sale)
    client.force_login(manager)

    page = unescape(
        client.get(reverse("staff:return_start", args=[sale.number])).content.decode()
    )
    found = unescape(
        client.get(
            reverse("staff:returns_desk"), {"q": sale.number}, **HTMX
        ).content.decode()
    )
    refused = client.post(
        reverse("staff:return_start", args=[sale.number]), start_post(sale)
    )

    said = (
        f"What is left of this order was paid with the gift card {card.masked_number}"
        ", which is void: nothing can go back to it, and the customer's profile was "
        "erased, so nobody could ever spend store credit on it; the other payments "
        "take back 9.90 EUR at most, less than any item left refunds, so no return "
        "of it can be taken."
    )
    assert 'data-testid="given-up"' in page and said in page
    assert 'name="refund_method"' not in page
    assert said in found and "Start a return" not in found
    assert refused.status_code == 422
    assert said in unescape(refused.content.decode())
    assert books(sale) == before


def test_no_return_is_offered_when_not_even_one_unit_fits(client, store, manager):
    """Two shirts at 59.90, 50.00 paid in points and 69.80 by card, the customer
    erased; the first shirt back to the card (59.90) leaves it 9.90, less than the
    last shirt refunds: the desk offers no return of it, and says why."""
    eva = make_customer(email="eva@example.com")
    give_points(eva, 5000)
    sale = place_order(
        lines=[LineRequest(stocked(store, 5, price="59.90"), 2)],
        channel="store",
        fulfilment="carry_out",
        placing_location=store,
        staff=manager,
        customer=eva,
        payments=[
            PaymentRequest(method=PaymentMethod.LOYALTY_POINTS, points=5000),
            PaymentRequest(method=PaymentMethod.CARD_IN_STORE, amount=D("69.80")),
        ],
    )
    deliver_outbox()
    erase_customer(customer=eva, forfeit_balance=True)
    first = take_back(sale, store, manager, refund_now=True)
    assert (first.status, first.refund_total) == (ReturnStatus.REFUNDED, D("59.90"))
    client.force_login(manager)

    page = unescape(
        client.get(reverse("staff:return_start", args=[sale.number])).content.decode()
    )
    found = unescape(
        client.get(
            reverse("staff:returns_desk"), {"q": sale.number}, **HTMX
        ).content.decode()
    )

    said = (
        "What is left of this order was paid with points given up when the "
        "customer's profile was erased: nothing can go back to them; the other "
        "payments take back 9.90 EUR at most, less than any item left refunds, so no "
        "return of it can be taken."
    )
    assert 'data-testid="given-up"' in page and said in page
    assert 'data-testid="receive-only"' not in page
    assert 'name="refund_method"' not in page
    assert said in found and "Start a return" not in found


@pytest.fixture
def stuck(store, manager):
    """A walk-in return received (goods restocked) while its gift card was open;
    the card voided since, so its refund can never be made."""
    sale, card = gift_card_sale(store, manager)
    ret = take_back(sale, store, manager)
    assert ret.status == ReturnStatus.RECEIVED
    close_card(card, "void")
    with pytest.raises(Conflict) as refused:
        refund_return(return_request=ret, actor=manager, location=store)
    assert refused.value.code == "gift_card_refund_blocked"
    return Return.objects.get(pk=ret.pk)


def test_a_manager_closes_a_stuck_return_without_a_refund(store, manager, stuck):
    closed = close_without_refund(
        return_request=stuck,
        actor=manager,
        reason="Gift card reported stolen; customer agreed",
        location=store,
    )

    assert closed.status == ReturnStatus.CLOSED
    assert closed.closed_at is not None and closed.refunded_at is None
    assert not Refund.objects.exists()
    change = ReturnStatusChange.objects.filter(return_request=stuck).latest("id")
    assert (change.from_status, change.to_status) == (
        ReturnStatus.RECEIVED,
        ReturnStatus.CLOSED,
    )
    assert (change.actor, change.location) == (manager, store)
    assert change.note == (
        "Closed without a refund: Gift card reported stolen; customer agreed"
    )


def test_closing_without_a_refund_takes_a_manager_and_a_reason(
    store, associate, manager, stuck
):
    with pytest.raises(PermissionDenied):
        close_without_refund(return_request=stuck, actor=associate, reason="Stuck")
    with pytest.raises(ValidationFailed) as no_reason:
        close_without_refund(return_request=stuck, actor=manager, reason="  ")
    with pytest.raises(IllegalTransition):
        close_return(return_request=stuck, actor=manager)  # only refunded ones

    assert no_reason.value.extra == {
        "reason": ["Say why the return is closed without a refund."]
    }
    stuck.refresh_from_db()
    assert stuck.status == ReturnStatus.RECEIVED


def test_the_customer_timeline_says_it_was_closed_without_a_refund(store, manager):
    ada = make_customer(email="ada@example.com")
    sale, _ = gift_card_sale(store, manager, customer=ada)
    ret = take_back(sale, store, manager)

    close_without_refund(
        return_request=ret, actor=manager, reason="Refund refused by the bank"
    )

    event = CustomerEvent.objects.filter(customer=ada).latest("id")
    assert event.kind == "return_closed"
    assert event.summary == (
        f"Return {ret.code} closed without a refund: Refund refused by the bank"
    )
    assert event.data["reason"] == "Refund refused by the bank"
    assert event.data["refunded"] is False


def test_the_return_page_offers_it_to_managers_only(
    client, store, manager, associate, stuck
):
    url = reverse("staff:return_detail", args=[stuck.code])
    close = reverse("staff:return_close_unrefunded", args=[stuck.code])
    client.force_login(associate)
    assert 'data-testid="close-unrefunded"' not in client.get(url).content.decode()
    assert client.post(close, {"reason": "Stuck"}).status_code == 422
    client.force_login(manager)

    page = client.get(url).content.decode()
    empty = client.post(close, {"reason": ""})
    done = client.post(close, {"reason": "Gift card reported stolen"})

    assert 'data-testid="close-unrefunded"' in page
    assert "Close without refund" in page
    assert empty.status_code == 422
    assert "Say why the return is closed without a refund." in unescape(
        empty.content.decode()
    )
    assert done.status_code == 302
    stuck.refresh_from_db()
    assert stuck.status == ReturnStatus.CLOSED
    assert stuck.history.latest("id").actor == manager
