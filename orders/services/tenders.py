"""Stored value as tenders: gift cards, store credit and loyalty points next to the
card or cash that pays the rest (a split tender), and the order refunds go back in.

A checkout lists the stored-value tenders first and the card or cash last, so a
refused gift card or short balance refuses the order before any card is charged;
everything stored-value moves inside the order's transaction.

Points pay ``OMNISTORE_LOYALTY_POINTS_PER_REDEEMED_UNIT`` points per unit of the
order's currency: the points given are worth that, rounded down to the cent, and the
points taken are exactly those the amount needs (rounded up to a whole point).

Refunds go back in this order (``REFUND_ORDER``): money first (card, mobile wallet,
cash), then gift cards, then store credit, then points, so the customer gets
spendable money back before stored value; within a kind, the latest payment first.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from decimal import ROUND_DOWN, Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from customers.models import Customer, LoyaltyTransaction
from customers.services.identities import lock_customer
from customers.services.loyalty import (
    check_points_held,
    redeem_points,
    restore_points,
)
from omnistore.core.channels import is_online
from omnistore.core.exceptions import ApplicationError, ValidationFailed
from orders.models import (
    Order,
    Payment,
    PaymentMethod,
    PaymentStatus,
)
from orders.payments.base import (
    ChargeResult,
    PaymentDeclined,
    PaymentProvider,
    RefundResult,
)
from orders.selectors.points import spendable_points
from orders.selectors.till import coins_either_side, in_coins

from .credit import check_store_credit
from .giftcard_pins import normalize_card_number
from .giftcards import check_gift_card_tender, gift_card_share

POINTS_PROVIDER = "loyalty_points"
POINTS_REFERENCE = "payment"

STORED_VALUE = frozenset(
    {PaymentMethod.GIFT_CARD, PaymentMethod.STORE_CREDIT, PaymentMethod.LOYALTY_POINTS}
)


def _rate() -> int:
    return int(settings.OMNISTORE_LOYALTY_POINTS_PER_REDEEMED_UNIT)


def points_value(points: int) -> Decimal:
    """What ``points`` pay, rounded down to the cent."""
    return (Decimal(points) / _rate()).quantize(Decimal("0.01"), rounding=ROUND_DOWN)


def points_for(amount: Decimal) -> int:
    """The whole points that pay ``amount``."""
    return math.ceil(Decimal(amount) * _rate())


def check_points(points) -> Decimal:
    if isinstance(points, bool) or not isinstance(points, int) or points <= 0:
        raise ValidationFailed(
            "Points must be a positive whole number.",
            extra={"points": ["Must be a positive whole number."]},
        )
    value = points_value(points)
    if value <= 0:
        raise ValidationFailed(
            f"{points} points pay nothing: {_rate()} points pay 1.",
            code="too_few_points",
            extra={"points": [f"At least {points_for(Decimal('0.01'))} points."]},
        )
    return value


def check_cash_part(payments: Sequence, currency: str) -> None:
    """Cash beside another tender (a split) is an amount the drawer's notes and coins
    of ``currency`` make (``in_coins``). Only cash paying alone is rounded to the
    smallest coin (``cash_rounded``: the total as a whole, the Swiss rule); a split's
    cash part rounded on its own would take more or less than the total, the other
    tenders paying the rest exactly. Refused (``cash_not_in_coins``) naming the
    amounts either side, which the other tenders can make up; a gift card given no
    amount leaves a rest the coins make instead (``gift_card_takes``)."""
    cash = [p.amount for p in payments if p.method == PaymentMethod.CASH]
    if not cash or len(cash) == len(payments):
        return
    for amount in cash:
        if amount is not None and not in_coins(amount, currency):
            below, above = coins_either_side(amount, currency)
            message = (
                f"{amount} {currency} cannot be paid in coins: {below} or {above}."
            )
            raise ValidationFailed(
                message, code="cash_not_in_coins", extra={"payment": [message]}
            )


def share_leaving_coins(share: Decimal, due: Decimal, currency: str) -> Decimal:
    """What a tender taking what it can (``share`` of ``due``: a gift card given no
    amount, all it holds) pays when cash pays the rest of ``due``: that much less
    than ``share`` which brings the cash up to the next amount the drawer's coins
    of ``currency`` make (``coins_either_side``), so the split is one
    ``check_cash_part`` takes and the customer pays no more than ``due`` (29.98
    francs with 20.00 on the card: 19.98 on the card, 10.00 in cash). A rest the
    coins make keeps the share, and so does a share too small to take less from:
    that rest is refused as ever."""
    rest = due - share
    if rest <= 0 or in_coins(rest, currency):
        return share
    less = due - coins_either_side(rest, currency)[1]
    return less if less > 0 else share


def gift_card_takes(
    card, *, due: Decimal, currency: str, cash_rest: bool, now=None, caller: str = ""
) -> Decimal:
    """What the gift card tender ``card``, given no amount, pays of ``due``: all it
    holds, up to ``due`` (``gift_card_share``: its PIN, a wrong one counted against
    the card and ``caller``, and its balance checked), a little less when cash pays
    the rest (``cash_rest``) and the coins could not make it
    (``share_leaving_coins``). An amount typed for the card is the associate's
    choice and is taken as it is (``check_cash_part`` then judges the cash)."""
    share = gift_card_share(
        number=card.card_number,
        pin=card.pin,
        amount=due,
        currency=currency,
        now=now or timezone.now(),
        caller=caller,
    )
    return share_leaving_coins(share, due, currency) if cash_rest else share


def gift_card_shares(
    tenders: Sequence, *, total: Decimal, currency: str, rest_by: Sequence, caller=""
) -> list:
    """The stored-value ``tenders`` of a counter sale of ``total``, a gift card
    given no amount paying what it takes of what the others leave
    (``gift_card_takes``); with nothing left for it, it is not charged.
    ``rest_by``: the tenders chosen for the rest, cash alone among them being a
    rest the drawer's coins must make."""
    chosen = [method for method in rest_by if method]
    cash_rest = bool(currency) and chosen == [PaymentMethod.CASH]
    typed = [t.amount for t in tenders if t.amount is not None]
    due = total - sum(typed, Decimal("0.00"))
    shared = []
    for tender in tenders:
        if tender.method == PaymentMethod.GIFT_CARD and tender.amount is None:
            if due <= 0:
                continue
            share = gift_card_takes(
                tender, due=due, currency=currency, cash_rest=cash_rest, caller=caller
            )
            tender, due = tender.with_amount(share), due - share
        shared.append(tender)
    return shared


@contextmanager
def naming_tender(payments: Sequence, index: int) -> Iterator[None]:
    """A stored-value tender refused (``payments[index]``) is named at its place
    among the tenders, as DRF names an item of a list: ``extra["tenders"]`` holds one
    entry per tender, ``{}`` for the others and the refusal's messages
    (``non_field_errors``) at the one refused, so with two gift cards the one at
    fault is known. The storefront sends its tenders first, in its own order."""
    try:
        yield
    except ApplicationError as refused:
        tenders = [p for p in payments if p.method in STORED_VALUE]
        place = sum(1 for p in payments[:index] if p.method in STORED_VALUE)
        messages = [
            message
            for value in refused.extra.values()
            if isinstance(value, list)
            for message in value
            if isinstance(message, str)
        ]
        refused.extra = {
            **refused.extra,
            "tenders": [
                {"non_field_errors": messages} if each == place else {}
                for each in range(len(tenders))
            ],
        }
        raise


def require_owner(checkout, method: str) -> None:
    """Store credit and points belong to a profile: online only the signed-in
    customer's (an email typed at a guest checkout vouches for nothing); at a shop
    counter, the customer staff attached."""
    if method not in (PaymentMethod.STORE_CREDIT, PaymentMethod.LOYALTY_POINTS):
        return
    signed_in = checkout.customer is not None or checkout.user is not None
    if is_online(checkout.channel) and not signed_in:
        label = PaymentMethod(method).label
        raise ValidationFailed(
            f"Sign in to pay with {label.lower()}.",
            code="sign_in_required",
            extra={"tenders": [f"{label} needs a signed-in customer."]},
        )


def spend_points(
    *,
    customer: Customer | None,
    order: Order,
    amount: Decimal,
    reference: str,
    actor=None,
) -> ChargeResult:
    """Points as a tender, taken from the customer's balance in the order's
    transaction."""
    if customer is None:
        raise ValidationFailed(
            "Points belong to a customer: attach the customer first.",
            extra={"points": ["Points need the customer's profile."]},
        )
    points = points_for(amount)
    _check_spendable_points(customer, points)
    redeem_points(
        customer=customer,
        points=points,
        reason=f"Order {order.number}",
        reference_type=POINTS_REFERENCE,
        reference_id=reference[:64],
        actor=actor,
    )
    return ChargeResult(
        provider=POINTS_PROVIDER,
        reference=reference[:64],
        status=PaymentStatus.CAPTURED,
        amount=amount,
    )


def _check_spendable_points(customer: Customer, points: int) -> None:
    """Points an order earned are spent once its goods are handed over
    (``orders.selectors.points``), and never more than the customer holds (refused
    as ``redeem_points`` refuses it). The profile is locked first (as
    ``redeem_points`` locks it), so the balance read is the one spent from."""
    spendable = spendable_points(lock_customer(customer))
    if spendable.pending and points > spendable.now:
        message = (
            f"{spendable.pending} of the customer's points come from orders not handed "
            f"over yet and can be spent once they are: {spendable.now} can be spent now."
        )
        raise ValidationFailed(
            message, code="points_not_settled", extra={"points": [message]}
        )
    check_points_held(spendable.balance, points)


@transaction.atomic
def check_stored_value_tenders(
    checkout, customer: Customer | None, *, currency: str, caller: str = ""
) -> None:
    """Refuse, taking nothing, the gift cards, store credit and points of
    ``checkout.payments`` that spending them at checkout would refuse, with the same
    checks and answers (a wrong gift card PIN counts as a try here too): asked
    before a card is charged for what they leave. What one card, the store credit
    or the points pay over several tenders is checked in total, as spending them one
    after the other would find it."""
    asked: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for index, tender in enumerate(checkout.payments):
        with naming_tender(checkout.payments, index):
            _check_tender(checkout, customer, tender, asked, currency, caller)


def _check_tender(
    checkout, customer, tender, asked: dict, currency: str, caller: str
) -> None:
    """One tender of ``check_stored_value_tenders``; ``asked`` sums what each card,
    the store credit and the points pay over the tenders checked so far."""
    require_owner(checkout, tender.method)
    if tender.method == PaymentMethod.GIFT_CARD:
        number = normalize_card_number(tender.card_number)
        asked[tender.method, number] += tender.amount
        check_gift_card_tender(
            number=number,
            pin=tender.pin,
            amount=asked[tender.method, number],
            currency=currency,
            now=checkout.now,
            caller=caller,
        )
    elif tender.method in STORED_VALUE and customer is None:
        raise ValidationFailed(
            f"{PaymentMethod(tender.method).label} belongs to a customer: attach "
            "the customer first.",
            extra={"tenders": ["It needs the customer's profile."]},
        )
    elif tender.method == PaymentMethod.STORE_CREDIT:
        asked[tender.method, ""] += tender.amount
        live = lock_customer(customer)
        check_store_credit(live, asked[tender.method, ""], currency)
    elif tender.method == PaymentMethod.LOYALTY_POINTS:
        asked[tender.method, ""] += points_for(tender.amount)
        _check_spendable_points(customer, int(asked[tender.method, ""]))


class PointsProvider(PaymentProvider):
    """Points as a payment provider: spent at checkout (``spend_points``); a refund
    gives back the points the refunded amount took, once per refund reference, all
    that is left of the payment's points on the last refund."""

    name = POINTS_PROVIDER

    def charge(
        self,
        *,
        method,
        amount,
        currency,
        token,
        idempotency_key,
        capture=True,
        cart_reference="",
    ):
        raise PaymentDeclined(
            "Points are spent from the customer's balance at checkout.",
            extra={"payment": ["Give the points as a tender."]},
        )

    def refund(
        self,
        *,
        provider_reference,
        amount,
        currency,
        idempotency_key,
        reason,
        actor,
        location,
    ):
        spent = LoyaltyTransaction.objects.get(
            kind="redeem",
            reference_type=POINTS_REFERENCE,
            reference_id=provider_reference,
        )
        payment = Payment.objects.get(
            provider=self.name, provider_reference=provider_reference
        )
        taken = -spent.points
        if payment.refunded_amount + Decimal(amount) >= payment.amount:
            back = taken - math.floor(payment.refunded_amount * _rate())
        else:
            back = math.floor(Decimal(amount) * _rate())
        back = max(0, min(back, taken))
        if back:  # the ledger keeps no place: ``reason`` says online
            restore_points(
                customer=spent.customer_id,
                points=back,
                reason=f"Points given back: {reason}",
                reference_type="refund",
                reference_id=idempotency_key[:64],
                actor=actor,
            )
        return RefundResult(
            provider=self.name,
            reference=f"points:{idempotency_key}"[:100],
            amount=amount,
        )
