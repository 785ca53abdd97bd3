"""Money a refund puts back on a gift card, store credit or points is booked with who
gave it back, where (the gift card's ledger keeps the shop) and what for, in words:
a return refunded to its payments, a cancel at a shop's counter and a customer's own
cancel online alike. A gift card that takes nothing back any more is named with its
state apart ("the gift card •••• 7099, which is void"), in the refusal and in the
store credit given instead."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from customers.models import LoyaltyTransaction
from customers.services.erasure import erase_customer
from omnistore.accounts.models import Role
from omnistore.core.channels import Channel
from omnistore.core.exceptions import Conflict
from orders.models import (
    GiftCard,
    GiftCardTxnKind,
    PaymentMethod,
    StoreCreditKind,
    StoreCreditTransaction,
)
from orders.services.checkout import LineRequest, place_order
from orders.services.giftcards import void_gift_card
from orders.services.payments import PaymentRequest
from orders.services.refunds import return_at_counter
from orders.services.returns import ReturnLineRequest
from tests.approvals.helpers import make_approver
from tests.factories import StaffFactory, UserFactory
from tests.orders.factories import CARD, shop, stocked
from tests.orders.returns_helpers import api_client_for, shopper
from tests.orders.stored_value_helpers import (
    PIN,
    credit_of,
    gift_card,
    give_credit,
    give_points,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]

HTMX = {"HTTP_HX_REQUEST": "true"}
IN_STORE = [PaymentRequest(method=PaymentMethod.CARD_IN_STORE)]


@pytest.fixture
def store():
    return shop(code="MI03", name="Milano Brera")


@pytest.fixture
def manager(store):
    return make_approver(
        StaffFactory(
            store=store, role=Role.STORE_MANAGER, first_name="Marta", last_name="Neri"
        )
    )


def by_gift_card(card: GiftCard) -> PaymentRequest:
    return PaymentRequest(
        method=PaymentMethod.GIFT_CARD,
        card_number=card.number,
        pin=PIN,
        amount=Decimal("10.00"),
    )


def all_stored_value(card: GiftCard) -> list[PaymentRequest]:
    """10.00 from each of the gift card, store credit and points."""
    return [
        by_gift_card(card),
        PaymentRequest(method=PaymentMethod.STORE_CREDIT, amount=Decimal("10.00")),
        PaymentRequest(method=PaymentMethod.LOYALTY_POINTS, points=1000),
    ]


def stored_value_customer():
    """A storefront login holding 10.00 of store credit and 1000 points."""
    user, customer = shopper()
    give_credit(customer, "10.00")
    give_points(customer, 1000)
    return user, customer


def online_pickup(store, customer, payments):
    """A 40.00 pickup ordered online, the rest of ``payments`` by card."""
    return place_order(
        lines=[LineRequest(stocked(store, 3, price="40.00"), 1)],
        channel=Channel.WEB,
        fulfilment="pickup",
        pickup_store=store,
        customer=customer,
        payments=[*payments, *CARD],
    )


def counter_sale(store, staff, customer, payments):
    """A 40.00 sale taken at the counter, the rest of ``payments`` by card."""
    return place_order(
        lines=[LineRequest(stocked(store, 3, price="40.00"), 1)],
        channel=Channel.STORE,
        fulfilment="carry_out",
        placing_location=store,
        staff=staff,
        customer=customer,
        payments=[*payments, *IN_STORE],
    )


def returned_at(store, staff, sale):
    return return_at_counter(
        order=sale.number,
        lines=[ReturnLineRequest(sale.lines.get().pk, 1, "changed_mind")],
        location=store,
        actor=staff,
    )


def booked_back(order, card):
    """The rows the refund wrote in each ledger: the gift card's, the store
    credit's and the points'."""
    return (
        card.transactions.get(kind=GiftCardTxnKind.REFUND),
        StoreCreditTransaction.objects.get(
            order=order, kind=StoreCreditKind.PAYMENT_REFUND
        ),
        LoyaltyTransaction.objects.get(customer=order.customer_id, kind="restore"),
    )


def credited_for(order) -> StoreCreditTransaction:
    return StoreCreditTransaction.objects.get(
        order=order, kind=StoreCreditKind.PAYMENT_REFUND
    )


def expire(card: GiftCard):
    """The card's date passed two days ago; when, as a day."""
    expired = timezone.now() - timedelta(days=2)
    GiftCard.objects.filter(pk=card.pk).update(expires_at=expired)
    return f"{timezone.localdate(expired):%Y-%m-%d}"


def test_a_return_refunded_to_its_payments_books_who_where_and_which_return(
    store, manager
):
    _, customer = stored_value_customer()
    card = gift_card("10.00")
    sale = counter_sale(store, manager, customer, all_stored_value(card))

    ret = returned_at(store, manager, sale)

    what = f"return {ret.code} of order {sale.number}"
    on_card, credit, points = booked_back(sale, card)
    assert (on_card.actor, on_card.location, on_card.reason) == (
        manager,
        store,
        f"Return {ret.code} of order {sale.number}",
    )
    assert (credit.actor, credit.amount, credit.reason) == (
        manager,
        Decimal("10.00"),
        f"Store credit paid back: {what}",
    )
    assert (points.actor, points.points, points.reason) == (
        manager,
        1000,
        f"Points given back: {what}",
    )


def test_a_cancel_at_the_shop_books_the_manager_and_the_shop_on_every_ledger(
    client, store, manager
):
    _, customer = stored_value_customer()
    card = gift_card("10.00")
    order = online_pickup(store, customer, all_stored_value(card))
    client.force_login(manager)

    response = client.post(
        reverse("staff:order_cancel", args=[order.number]),
        {"reason": "Customer called"},
        **HTMX,
    )

    assert response.status_code == 200, response.content.decode()
    on_card, credit, points = booked_back(order, card)
    assert (on_card.actor, on_card.location, on_card.reason) == (
        manager,
        store,
        f"Order {order.number} cancelled",
    )
    assert (credit.actor, credit.reason) == (
        manager,
        f"Store credit paid back: order {order.number} cancelled",
    )
    assert (points.actor, points.reason) == (
        manager,
        f"Points given back: order {order.number} cancelled",
    )
    client.force_login(UserFactory(username="hq-ledger", role=Role.HQ, is_staff=True))
    page = client.get(reverse("admin:orders_giftcard_history", args=[card.pk]))
    ledger = page.content.decode().split('data-testid="giftcard-status-history"')[1]
    (refunded,) = [row for row in ledger.split("<tr>") if "Refunded to the card" in row]
    for said in ("Marta Neri", "Milano Brera", f"Order {order.number} cancelled"):
        assert said in refunded


def test_a_customer_cancelling_online_is_booked_as_who_did_it_online(store):
    user, customer = stored_value_customer()
    card = gift_card("10.00")
    order = online_pickup(store, customer, all_stored_value(card))

    response = api_client_for(user).post(f"/api/v1/orders/{order.number}/cancel/")

    assert response.status_code == 200, response.json()
    what = f"order {order.number} cancelled online"
    on_card, credit, points = booked_back(order, card)
    assert (on_card.actor, on_card.location, on_card.reason) == (
        user,
        None,
        f"Order {order.number} cancelled online",
    )
    assert (credit.actor, credit.reason) == (user, f"Store credit paid back: {what}")
    assert (points.actor, points.reason) == (user, f"Points given back: {what}")


def test_a_voided_gift_cards_part_goes_to_store_credit_naming_the_card_and_its_state(
    store,
):
    user, customer = shopper()
    card = gift_card("10.00")
    order = online_pickup(store, customer, [by_gift_card(card)])
    void_gift_card(card=card, reason="Reported stolen", actor=None)

    response = api_client_for(user).post(f"/api/v1/orders/{order.number}/cancel/")

    assert response.status_code == 200, response.json()
    assert credit_of(customer) == Decimal("10.00")
    credit = credited_for(order)
    assert (credit.actor, credit.reason) == (
        user,
        f"Order {order.number} cancelled online: refund of a payment by the gift "
        f"card {card.masked_number}, which is void",
    )


def test_an_expired_gift_cards_part_of_a_return_names_the_day_it_expired(
    store, manager
):
    _, customer = shopper()
    card = gift_card("10.00")
    sale = counter_sale(store, manager, customer, [by_gift_card(card)])
    day = expire(card)

    ret = returned_at(store, manager, sale)

    credit = credited_for(sale)
    assert (credit.actor, credit.reason) == (
        manager,
        f"Return {ret.code} of order {sale.number}: refund of a payment by the gift "
        f"card {card.masked_number}, which expired on {day}",
    )


def test_a_walk_in_return_paid_by_an_expired_gift_card_is_refused_in_plain_words(
    store, manager
):
    card = gift_card("10.00")
    sale = counter_sale(store, manager, None, [by_gift_card(card)])
    day = expire(card)

    with pytest.raises(Conflict) as refused:
        returned_at(store, manager, sale)

    assert refused.value.code == "gift_card_refund_blocked"
    assert refused.value.message == (
        f"10.00 EUR of its 40.00 EUR refund would go back to the gift card "
        f"{card.masked_number}, which expired on {day}: nothing can go back to it, "
        "and the order has no customer profile to hold store credit, so this return "
        "cannot be taken: the other payments take back 30.00 EUR at most, return "
        "fewer items."
    )


def test_what_the_store_credit_was_given_back_for_survives_the_customers_erasure(
    store,
):
    """The reasons are the shop's own words: an erasure keeps them for the books."""
    user, customer = stored_value_customer()
    voided, card = gift_card("10.00"), gift_card("10.00")
    order = online_pickup(
        store, customer, [by_gift_card(voided), *all_stored_value(card)]
    )
    void_gift_card(card=voided, reason="Reported stolen", actor=None)
    api_client_for(user).post(f"/api/v1/orders/{order.number}/cancel/")
    given = StoreCreditTransaction.objects.filter(
        order=order, kind=StoreCreditKind.PAYMENT_REFUND
    )
    said = sorted(given.values_list("reason", flat=True))
    assert len(said) == 2

    erase_customer(customer=customer, reason="Ticket GDPR-7", forfeit_balance=True)

    assert sorted(given.values_list("reason", flat=True)) == said
