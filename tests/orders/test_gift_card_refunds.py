"""A refund due to a gift card that can no longer take it (void, or past its date)
goes to the order customer's store credit: a cancel by the customer or the shop, a
pickup the clock expires, a return and the cancelled parts of a split delivery
alike, kept in the refund, the payment and the order's history, and the gift card,
store credit and payment books agree. Where store credit cannot take it either,
nothing moves and the refusal says why; the periodic tasks go on with the others."""

from __future__ import annotations

import logging
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from customers.models import Channel
from inventory.models import PriceList, PriceListPrice
from omnistore.accounts.models import Role
from omnistore.core.exceptions import Conflict
from orders.models import (
    GiftCard,
    GiftCardTransaction,
    Order,
    OrderStatus,
    PaymentMethod,
    PaymentStatus,
    Refund,
    Return,
    StoreCreditKind,
    StoreCreditTransaction,
)
from orders.services.checkout import LineRequest, place_order
from orders.services.fulfilment import cancel_order, mark_picked, mark_ready, ship_order
from orders.services.giftcards import (
    adjust_gift_card,
    expire_gift_cards,
    void_gift_card,
)
from orders.services.payments import PaymentRequest
from orders.services.pickups import collect_order, expire_uncollected_pickups
from orders.services.refunds import return_at_counter
from orders.services.returns import ReturnLineRequest
from tests.customers.factories import make_customer
from tests.factories import StaffFactory
from tests.orders.factories import CARD, ready_order, shop, stocked
from tests.orders.returns_helpers import api_client_for, shopper
from tests.orders.stored_value_helpers import (
    PIN,
    balance,
    credit_of,
    gift_card,
    ledger_total,
    return_and_refund,
)
from tests.orders.test_split_delivery_services import split_order, split_shops

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]

HTMX = {"HTTP_HX_REQUEST": "true"}


def by_gift_card(card: GiftCard, amount: str) -> PaymentRequest:
    return PaymentRequest(
        method=PaymentMethod.GIFT_CARD,
        card_number=card.number,
        pin=PIN,
        amount=Decimal(amount),
    )


def paid_partly_by(card: GiftCard, amount: str, *, store, customer=None, **kwargs):
    """A pickup at ``store`` of one 100.00 item: ``amount`` from the gift card, the
    rest by card online."""
    return place_order(
        lines=[LineRequest(stocked(store, 3, price="100.00"), 1)],
        channel=Channel.WEB,
        fulfilment="pickup",
        pickup_store=store,
        customer=customer,
        payments=[by_gift_card(card, amount), *CARD],
        **kwargs,
    )


def expire(card: GiftCard) -> None:
    """The card's date passes and the hourly task books what is left on it."""
    GiftCard.objects.filter(pk=card.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    expire_gift_cards()


def gift_card_payment(order: Order):
    return order.payments.get(method=PaymentMethod.GIFT_CARD)


def credited_for(order: Order) -> StoreCreditTransaction:
    return StoreCreditTransaction.objects.get(
        order=order, kind=StoreCreditKind.PAYMENT_REFUND
    )


def test_a_customer_cancelling_after_the_gift_card_expired_gets_store_credit():
    """The card expired (its last 10.00 booked as breakage): the 20.00 it paid goes
    to the customer's store credit, not back onto a card that cannot be spent, and
    the next expiry run has nothing to do."""
    store = shop()
    user, customer = shopper()
    card = gift_card("30.00")
    order = paid_partly_by(card, "20.00", store=store, customer=customer)
    expire(card)

    response = api_client_for(user).post(f"/api/v1/orders/{order.number}/cancel/")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "cancelled"
    paid_by_card = next(p for p in body["payments"] if p["method"] == "gift_card")
    assert paid_by_card["status"] == "refunded"
    assert paid_by_card["refunds"][0]["amount"] == "20.00"
    assert balance(card) == ledger_total(card) == Decimal("0.00")
    assert not card.transactions.filter(kind="refund").exists()
    assert credit_of(customer) == Decimal("20.00")
    credit = credited_for(order)
    payment = gift_card_payment(order)
    refund = payment.refunds.get()
    assert credit.amount == refund.amount == payment.refunded_amount
    assert refund.provider_reference == credit.reference
    assert f"as store credit: the gift card {card.masked_number} expired" in (
        refund.reason
    )
    assert expire_gift_cards() == 0
    assert card.transactions.filter(kind="expire").count() == 1


def test_a_customer_cancelling_an_order_paid_by_a_voided_gift_card_gets_store_credit():
    store = shop()
    user, customer = shopper()
    card = gift_card("20.00")
    order = paid_partly_by(card, "20.00", store=store, customer=customer)
    void_gift_card(card=card, reason="Reported stolen", actor=None)

    response = api_client_for(user).post(f"/api/v1/orders/{order.number}/cancel/")

    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "cancelled"
    assert credit_of(customer) == Decimal("20.00")
    assert gift_card_payment(order).status == PaymentStatus.REFUNDED
    assert balance(card) == ledger_total(card) == Decimal("0.00")
    card.refresh_from_db()
    assert card.status == "void"


def test_a_manager_cancelling_at_the_shop_sees_the_store_credit_in_the_history(client):
    store = shop(name="Milano Centro")
    manager = StaffFactory(
        store=store, role=Role.STORE_MANAGER, first_name="Marta", last_name="Neri"
    )
    _, customer = shopper()
    card = gift_card("20.00")
    order = paid_partly_by(card, "20.00", store=store, customer=customer)
    void_gift_card(card=card, reason="Reported stolen", actor=None)
    client.force_login(manager)

    response = client.post(
        reverse("staff:order_cancel", args=[order.number]),
        {"reason": "Customer called"},
        **HTMX,
    )

    assert response.status_code == 200, response.content.decode()
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    note = order.history.last()
    assert (note.from_status, note.to_status) == (OrderStatus.CANCELLED,) * 2
    assert (note.actor, note.location) == (manager, store)
    assert note.note == (
        f"Refund of 20.00 EUR as store credit: the gift card {card.masked_number} "
        "is void"
    )
    assert credit_of(customer) == Decimal("20.00")
    assert credited_for(order).actor == manager
    page = client.get(reverse("staff:order_detail", args=[order.number]))
    assert "Customer called; as store credit: the gift card" in page.content.decode()


def zurich_shop():
    """A Swiss shop: its sales are in francs, which euro store credit does not take."""
    store = shop(code="ZH01", country="CH", city="Zürich")
    item = stocked(store, 5, price="49.90")
    PriceListPrice.objects.create(
        price_list=PriceList.objects.get(code="CHF"),
        variant=item,
        price=Decimal("54.05"),
    )
    return store, item


def test_expiring_pickups_refund_a_voided_gift_card_as_store_credit_and_go_on(caplog):
    """One pickup cannot be refunded (its franc gift card is void and store credit is
    kept in euros): it is logged and stays ready, and the others expire, the one
    paid by a voided card with its customer's store credit."""
    store = shop()
    _, customer = shopper()
    voided = gift_card("20.00")
    with_credit = paid_partly_by(voided, "20.00", store=store, customer=customer)
    void_gift_card(card=voided, reason="Lost", actor=None)
    zurich, item = zurich_shop()
    francs = gift_card("20.00", currency="CHF")
    swiss = place_order(  # ordered at the Zürich counter, collected later
        lines=[LineRequest(item, 1)],
        channel=Channel.STORE,
        fulfilment="pickup",
        pickup_store=zurich,
        placing_location=zurich,
        staff=StaffFactory(store=zurich),
        customer=make_customer(phone="+41791234567"),
        payments=[
            by_gift_card(francs, "20.00"),
            PaymentRequest(method=PaymentMethod.CARD_IN_STORE),
        ],
    )
    assert swiss.currency == "CHF"
    void_gift_card(card=francs, reason="Lost", actor=None)
    plain = ready_order(store=store, lines=[(stocked(store, 2), 1)])
    for order in (with_credit, swiss):
        mark_picked(order=order)
        mark_ready(order=order)
    later = timezone.now() + timedelta(days=30)

    with caplog.at_level(logging.ERROR, logger="orders.services.pickups"):
        expired = expire_uncollected_pickups(now=later)

    assert sorted(expired) == sorted([with_credit.number, plain.number])
    assert Order.objects.get(pk=swiss.pk).status == OrderStatus.READY
    assert not Refund.objects.filter(payment__order=swiss).exists()
    assert f"expiring order {swiss.number} failed" in caplog.text
    assert "store credit is kept in EUR, not in CHF" in caplog.text
    assert credit_of(customer) == Decimal("20.00")
    assert gift_card_payment(with_credit).refunded_amount == Decimal("20.00")
    assert Order.objects.get(pk=plain.pk).status == OrderStatus.CANCELLED


def test_a_walk_in_return_paid_by_a_voided_gift_card_is_refused_and_changes_nothing():
    """No profile to hold store credit: the desk is told why, and nothing moves."""
    store = shop()
    clerk = StaffFactory(store=store, role=Role.STORE_MANAGER)
    card = gift_card("30.00")
    sale = place_order(
        lines=[LineRequest(stocked(store, 2, price="50.00"), 1)],
        channel=Channel.STORE,
        fulfilment="carry_out",
        placing_location=store,
        staff=clerk,
        payments=[
            by_gift_card(card, "30.00"),
            PaymentRequest(method=PaymentMethod.CARD_IN_STORE),
        ],
    )
    void_gift_card(card=card, reason="Reported stolen", actor=None)

    with pytest.raises(Conflict) as refused:
        return_at_counter(
            order=sale.number,
            lines=[ReturnLineRequest(sale.lines.get().pk, 1, "changed_mind")],
            location=store,
            actor=clerk,
        )

    assert refused.value.code == "gift_card_refund_blocked"
    assert refused.value.message == (
        f"30.00 EUR of its 50.00 EUR refund would go back to the gift card "
        f"{card.masked_number}, which is void: nothing can go back to it, and the "
        "order has no customer profile to hold store credit, so this return cannot "
        "be taken: the other payments take back 20.00 EUR at most, return fewer items."
    )
    assert not Return.objects.exists()
    assert not Refund.objects.exists()
    assert not StoreCreditTransaction.objects.exists()


def test_a_return_paid_by_an_expired_gift_card_gives_its_part_as_store_credit(
    settings,
):
    settings.OMNISTORE_APPROVAL_REFUND_ABOVE = None
    store = shop()
    clerk = StaffFactory(store=store)
    _, customer = shopper()
    card = gift_card("25.00")
    order = paid_partly_by(card, "25.00", store=store, customer=customer)
    mark_picked(order=order, actor=clerk)
    order = mark_ready(order=order, actor=clerk)
    collect_order(order=order, code=order.pickup_code, actor=clerk, location=store)
    expire(card)

    refunded = return_and_refund(order, order.lines.get(), actor=clerk, location=store)

    assert refunded == {
        PaymentMethod.CARD_ONLINE: Decimal("75.00"),
        PaymentMethod.GIFT_CARD: Decimal("25.00"),
    }
    assert credit_of(customer) == Decimal("25.00")
    assert balance(card) == ledger_total(card) == Decimal("0.00")
    refund = gift_card_payment(order).refunds.get()
    assert refund.provider_reference == credited_for(order).reference
    assert refund.return_refund.return_request.order == order


def test_cancelling_the_parts_of_a_split_delivery_gives_a_voided_cards_part_as_credit():
    """Milano's parcel left; the rest (560.00) goes back to the card first (350.00 +
    the delivery), then what the voided gift card paid, as store credit."""
    split = split_shops()
    user, customer = shopper()
    card = gift_card("450.00")
    order = split_order(
        split, customer=customer, payments=[by_gift_card(card, "450.00"), *CARD]
    )
    milano = StaffFactory(store=split.milano)
    mark_picked(order=order, actor=milano, location=split.milano)
    ship_order(
        order=order, actor=milano, tracking_reference="MI-1", location=split.milano
    )
    void_gift_card(card=card, reason="Reported stolen", actor=None)

    cancel_order(order=order, actor=milano, reason="Out of stock at Roma and Napoli")

    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED
    to_card = order.payments.get(method=PaymentMethod.CARD_ONLINE).refunded_amount
    as_credit = gift_card_payment(order).refunded_amount
    assert to_card + as_credit == Decimal("560.00")
    assert as_credit > 0
    assert credit_of(customer) == as_credit == credited_for(order).amount
    assert balance(card) == ledger_total(card) == Decimal("0.00")


def test_money_on_a_card_after_it_expired_expires_again_and_the_others_still_do():
    """The first expiry is booked as ``expire:<number>``; 10.00 put on the card later
    expires under a reference of its own, and a card due after it expires too."""
    first = gift_card("30.00")
    expire(first)
    adjust_gift_card(card=first, amount="10.00", reason="Goodwill", actor=None)
    second = gift_card("15.00")
    GiftCard.objects.filter(pk=second.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )

    assert expire_gift_cards() == 2

    assert balance(first) == balance(second) == Decimal("0.00")
    assert list(
        first.transactions.filter(kind="expire")
        .order_by("pk")
        .values_list("reference", "amount")
    ) == [
        (f"expire:{first.number}", Decimal("-30.00")),
        (f"expire:{first.number}:2", Decimal("-10.00")),
    ]
    assert ledger_total(first) == 0
    assert expire_gift_cards() == 0
    assert GiftCardTransaction.objects.filter(kind="expire").count() == 3
