"""What the returns desk offers before anything is sent: the refund methods the
refund and the exchange would refuse at this shop, and why (``refund_here``), read
from the same rules they apply, so a refusal is seen beside the option instead of
after the confirm: the cash a drawer cannot pay out (another currency, no till, not
enough in it), a gift card that takes no refund any more (void, or past its date),
store credit the order cannot hold, an exchange this shop cannot make."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone

from omnistore.core.exceptions import ValidationFailed
from orders.models import Order, PaymentMethod, RefundMethod
from orders.selectors.cash_shops import drawer_refusal
from orders.selectors.credit import store_credit_refusal
from orders.selectors.giftcards import cards_paid_with, gift_card_closed
from orders.selectors.taxes import shop_prices
from orders.services.exchanges import check_exchange_currency, check_exchange_customer
from orders.services.refund_cash import (
    ANY_REFUND,
    cash_out_of_refund,
    cash_refund_refusal,
    refund_shares,
)
from orders.services.returns import check_refund_method
from orders.services.till import NO_TILL_FOR_CASH
from orders.staff.views.till import device_counter


@dataclass(frozen=True)
class RefundHere:
    """How an order can be refunded at this shop, as the refund and the exchange
    will decide it: the refund methods they refuse here and why, what a method
    offered will do otherwise than it says (``notes``: a void gift card's share goes
    back as store credit), why no exchange, and, when no refund works here at all,
    where it does (or that none does)."""

    refused: dict[str, str] = field(default_factory=dict)
    exchange: str = ""
    elsewhere: str = ""
    notes: dict[str, str] = field(default_factory=dict)


def refund_here(
    request, order: Order, store, amount: Decimal | None = None
) -> RefundHere:
    """What ``order`` can be refunded as at ``store``: to its payments unless that
    pays cash out of a drawer not holding its currency, or at a warehouse, which has
    no drawer, or where this device's till is not open or holds less than the cash
    going out (``cash_refund_refusal``, as the refund will check it before asking a
    manager), or a gift card it reaches takes no refund and store credit cannot take
    its share either (``_gift_card_refusal``: then no shop can refund it); as store
    credit unless the return refuses it (``check_refund_method``: a walk-in sale,
    another currency, an erased profile); exchanged unless the exchange refuses the
    customer (``check_exchange_customer``) or this shop's currency
    (``check_exchange_currency``) or this is a warehouse, which has no counter.
    ``amount``: the refund, when known (else any refund of the order)."""
    refused, notes = {}, {}
    cash, why = _cash_refusal(order, store, amount)
    till = _till_refusal(request, order, store, amount) if cash and not why else ""
    note, closed = _gift_card_refusal(order, amount)
    if why or till or closed:
        refused[RefundMethod.ORIGINAL] = why or till or closed
    elif note:
        notes[RefundMethod.ORIGINAL] = note
    try:
        check_refund_method(order, RefundMethod.STORE_CREDIT)
    except ValidationFailed as refusal:
        refused[RefundMethod.STORE_CREDIT] = refusal.message
    exchange = ""  # an exchange is offered only to a customer's order
    if order.customer_id is not None:
        exchange = _exchange_refusal(order, store)
    elsewhere = ""
    if len(refused) == len(RefundMethod.values):
        if till:
            elsewhere = "Paid in cash: refund it from an open till holding the cash."
        elif why and store.is_shop:
            elsewhere = f"Paid in {cash}: refund it at a shop that takes {cash}."
        elif why:
            elsewhere = "Paid in cash: refund it at a shop, from its till."
        elif closed:  # nor anywhere else: the card and store credit refuse it
            elsewhere = (
                "Paid by a gift card that takes no refund: no shop can refund it."
            )
    return RefundHere(
        refused=refused, exchange=exchange, elsewhere=elsewhere, notes=notes
    )


def _cash_refusal(order: Order, store, amount: Decimal | None) -> tuple[str, str]:
    """The currency of the cash a refund of ``amount`` to the order's payments pays
    out at ``store`` and why that cannot be done here (empty: it can, or no cash
    is reached): a warehouse has no till, a shop's drawer may hold another
    currency (``drawer_refusal``)."""
    cash, _ = cash_out_of_refund(order.payments.all(), amount)
    if not cash:
        return "", ""
    if not store.is_shop:
        sold_at = order.placing_location.name if order.placing_location_id else ""
        return cash, (
            "It was paid in cash, and a warehouse has no till to pay cash from: "
            "refund it as store credit, or at "
            + (f"{sold_at}, the shop that sold it." if sold_at else "a shop.")
        )
    return cash, drawer_refusal(cash, store)


def _till_refusal(request, order: Order, store, amount: Decimal | None) -> str:
    """Why this device's till cannot pay the refund's cash out now (not open, or
    holding less), so the associate refunds another way before a manager is asked
    to approve a refund the till would refuse; empty: it can."""
    with device_counter(request, store):
        refusal = cash_refund_refusal(
            order=order, amount=amount, location=store, actor=request.user
        )
    if refusal is None:
        return ""
    if refusal.code == "cash_out_exceeds_drawer":
        return (
            f"It was paid in cash: {refusal.message} Refund it another way, or "
            "once the drawer holds enough."
        )
    if refusal.message == NO_TILL_FOR_CASH:
        return (
            "It was paid in cash, and this shop's till is not open: open it at the "
            "counter first, or refund it another way."
        )
    return refusal.message


def _gift_card_refusal(order: Order, amount: Decimal | None) -> tuple[str, str]:
    """What a refund of ``amount`` to the order's payments does with the gift cards
    it reaches (``refund_shares``) that take no refund any more
    (``gift_card_closed``): their share goes back as the customer's store credit,
    as the refund gives it (a note, the first string), unless store credit cannot
    take it either (``store_credit_refusal``: no profile, another currency, an
    erased profile), when the refund to the payments is refused (the second).
    Empty: no such card."""
    shares = [
        (payment, take)
        for payment, take in refund_shares(
            order.payments.all(), ANY_REFUND if amount is None else amount
        )
        if payment.method == PaymentMethod.GIFT_CARD
    ]
    cards = cards_paid_with([payment for payment, _ in shares])
    now, notes = timezone.now(), []
    for payment, take in shares:
        card = cards.get(payment.pk)
        closed = gift_card_closed(card, now=now) if card is not None else ""
        if not closed:
            continue
        paid_by = f"Paid by gift card {card.masked_number}, which {closed}"
        refusal = store_credit_refusal(
            customer=order.customer, currency=payment.currency
        )
        if refusal:
            return "", f"{paid_by}: it takes no refund, and {refusal}."
        share = (
            "its share goes" if amount is None else f"its {take} {payment.currency} go"
        )
        notes.append(f"{paid_by}: {share} back as store credit instead.")
    return " ".join(notes), ""


def _exchange_refusal(order: Order, store) -> str:
    """Why ``order`` cannot be exchanged at ``store``, which sells in its
    market's currency, or nothing. A warehouse exchanges nothing: the customer
    is not there to take or pay for a replacement; nor does an erased profile,
    which takes no store credit (``check_exchange_customer``)."""
    try:
        check_exchange_customer(order)
    except ValidationFailed as refusal:
        return refusal.message
    if not store.is_shop:
        return (
            "A warehouse has no counter: the customer exchanges at a shop, or "
            "orders the replacement online."
        )
    sold_in, _ = shop_prices(store, (), timezone.localdate())
    try:
        check_exchange_currency(order, sold_in)
    except ValidationFailed as refusal:
        return refusal.message
    return ""
