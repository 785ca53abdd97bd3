"""Exchanges at the counter: a return refunded as store credit and a new order paid
with it, in one transaction.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from customers.selectors.identities import resolve_customer
from inventory.models import Location, Variant
from inventory.selectors import availability_here_and_elsewhere
from omnistore.core.actors import acting_user
from omnistore.core.channels import Channel
from omnistore.core.exceptions import ValidationFailed
from orders.models import (
    FulfilmentMethod,
    Order,
    PaymentMethod,
    RefundMethod,
    Return,
    TillSession,
)
from orders.payments.registry import CARD_PRESENT_METHODS
from orders.selectors.credit import ERASED_HOLDER, credit_currency, erased_holder
from orders.selectors.taxes import check_terms, sale_terms
from orders.selectors.terminals import shop_terminal
from orders.selectors.till import open_session_at

from .checkout import LineRequest, merge_lines, prepare_checkout
from .common import sellable_variants, to_money
from .counter_locks import lock_counter
from .payments import PaymentRequest
from .placing import write_order
from .refund_limit import ExchangeRefund
from .refunds import points_share, return_at_counter, return_store_credit
from .returns import ReturnLineRequest, order_to_return
from .tenders import gift_card_takes
from .till import TillBooking, cash_session


@dataclass(frozen=True)
class ExchangeBalance:
    """How the returned value meets the replacement: the share of it paid in points
    goes back as points (``points_share``); the rest, as store credit, pays the
    replacement first; the tender pays what is left to pay, and what the replacement
    does not use stays as store credit."""

    as_points: Decimal
    credit: Decimal
    total: Decimal  # the replacement

    @property
    def credit_used(self) -> Decimal:
        return min(self.credit, self.total)

    @property
    def to_pay(self) -> Decimal:
        return self.total - self.credit_used

    @property
    def credit_left(self) -> Decimal:
        return self.credit - self.credit_used


def exchange_balance(
    order: Order, *, returned: Decimal, total: Decimal
) -> ExchangeBalance:
    """The balance before anything moves, as ``exchange_items`` will book it: the
    desk's review shows it."""
    as_points = points_share(order, returned)
    return ExchangeBalance(
        as_points=as_points, credit=returned - as_points, total=total
    )


@dataclass
class ExchangeResult:
    return_request: Return
    order: Order
    credit_used: Decimal
    credit_left: Decimal  # what this exchange left as store credit
    paid: Decimal
    as_points: Decimal = Decimal("0.00")  # the returned value given back as points


@transaction.atomic
def exchange_items(
    *,
    order: Order | int | str,
    lines: Sequence[ReturnLineRequest],
    replacement: Sequence[LineRequest | tuple[Variant | int, int]],
    location: Location,
    actor,
    fulfilment: str = FulfilmentMethod.CARRY_OUT,
    pickup_store: Location | int | None = None,
    payments: Sequence[PaymentRequest] = (),
    override_reason: str = "",
    note: str = "",
    till: TillSession | None = None,
    approvals: Sequence = (),
    now: datetime | None = None,
    caller: str = "",
) -> ExchangeResult:
    """Swap goods at the counter: the lines come back (received here), their value
    becomes the customer's store credit (the share paid in points goes back as
    points, ``ExchangeBalance``), and the replacement — taken now, or from the
    endless aisle for pickup — is paid with that credit first; ``payments`` cover any
    difference (``difference_tenders``: a gift card pays what it holds, the tender
    after it the rest), and what the replacement does not use stays as store credit.
    All in one transaction: a replacement out of stock leaves nothing returned. The
    replacement is a counter sale on the open till (the device's ``till``, else the
    shop's): a difference taken in cash is refused, nothing kept, when the device has
    no open till; an even exchange, or one leaving store credit, takes no tender and
    needs none. The return needs ``approvals`` as a counter return does; the refund
    limit counts only what the replacement does not take (``refund_limit``).
    ``caller``: who asks, for the gift card PIN lockout."""
    now = now or timezone.now()
    source = order_to_return(order, None)
    _check_exchangeable(source, fulfilment)
    replacement_lines = _replacement_lines(replacement)
    prices, currency = replacement_prices(replacement_lines, location, now)
    check_exchange_currency(source, currency)
    session = _exchange_till(location=location, actor=actor, till=till)
    total = sum((prices[v.pk] * q for v, q in replacement_lines), Decimal("0.00"))
    ret = _take_back(
        source,
        lines,
        replacement_lines,
        total,
        location=location,
        actor=actor,
        override_reason=override_reason,
        note=note,
        approvals=approvals,
        now=now,
        taken_now=fulfilment == FulfilmentMethod.CARRY_OUT,
    )
    credit = return_store_credit(ret)  # the points share went back as points
    balance = ExchangeBalance(
        as_points=ret.refund_total - credit, credit=credit, total=total
    )
    tenders = _tenders(balance, payments, currency, now=now, caller=caller)
    check_difference_tender(balance, tenders, location)
    if any(t.method == PaymentMethod.CASH for t in tenders):  # cash is taken
        session = cash_session(location=location, actor=actor, session=till)
    new_order = _sell_replacement(
        ret,
        replacement_lines,
        tenders,
        customer=resolve_customer(source.customer_id),
        fulfilment=fulfilment,
        pickup_store=pickup_store,
        location=location,
        actor=actor,
        session=session,
        caller=caller,
        now=now,
    )
    return ExchangeResult(
        return_request=ret,
        order=new_order,
        credit_used=balance.credit_used,
        credit_left=to_money(balance.credit_left),
        paid=balance.to_pay,
        as_points=to_money(balance.as_points),
    )


def _sell_replacement(
    ret: Return,
    replacement: Sequence[tuple[Variant, int]],
    tenders: list[PaymentRequest],
    *,
    customer,
    fulfilment: str,
    pickup_store,
    location: Location,
    actor,
    session: TillSession | None,
    caller: str,
    now: datetime,
) -> Order:
    """The replacement as a counter sale to ``customer``, paid with ``tenders`` and
    booked on ``session`` (none: no till open, and no cash taken), kept on the
    return as its exchange order."""
    checkout = prepare_checkout(
        lines=[LineRequest(variant, q) for variant, q in replacement],
        channel=Channel.STORE,
        fulfilment=fulfilment,
        pickup_store=pickup_store,
        customer=customer,
        payments=tenders,
        placing_location=location,
        staff=actor,
        idempotency_key=f"exchange:{ret.code}",
        now=now,
    )
    checkout.caller = caller
    if session is not None:
        checkout.till = TillBooking(session)
    new_order = write_order(checkout)
    ret.exchange_order = new_order
    ret.save(update_fields=["exchange_order"])
    return new_order


def _take_back(
    source: Order,
    lines: Sequence[ReturnLineRequest],
    replacement: Sequence[tuple[Variant, int]],
    total: Decimal,
    *,
    location: Location,
    actor,
    override_reason: str,
    note: str,
    approvals: Sequence,
    now: datetime,
    taken_now: bool,
) -> Return:
    """The exchange's return, received here and refunded as store credit. Its
    refund is judged as the exchange's (``ExchangeRefund``): only the returned
    value the ``replacement`` (worth ``total``) does not take counts against the
    refund limit, when it is ``taken_now``."""
    exchange = ExchangeRefund(
        back=lines,
        out=replacement,
        balance=functools.partial(exchange_balance, source, total=total),
        taken_now=taken_now,
    )
    return return_at_counter(
        order=source,
        lines=lines,
        location=location,
        actor=actor,
        refund_method=RefundMethod.STORE_CREDIT,
        override_reason=override_reason,
        note=note or "Exchange",
        approvals=approvals,
        now=now,
        exchange=exchange,
    )


def check_exchange_customer(source: Order) -> None:
    """The returned value moves through the customer's store credit: a sale
    without a profile has none, and an erased profile takes none
    (``erased_holder``), so either is refunded and the replacement rung up as a new
    sale; the desk says so before an exchange is tried."""
    if source.customer_id is None:
        raise ValidationFailed(
            "An exchange needs the customer's profile (the value moves through their "
            "store credit): refund this sale and ring up a new one instead.",
            extra={"customer": ["Attach the customer to the sale first."]},
        )
    if erased_holder(source.customer):
        message = (
            f"An exchange moves the value through store credit, and {ERASED_HOLDER}: "
            "refund the items to the original payment and ring up the replacement "
            "as a new sale."
        )
        raise ValidationFailed(
            message,
            code="profile_erased",
            extra={"customer": ["This customer's profile was erased."]},
        )


def _check_exchangeable(source: Order, fulfilment: str) -> None:
    check_exchange_customer(source)
    if fulfilment not in (FulfilmentMethod.CARRY_OUT, FulfilmentMethod.PICKUP):
        raise ValidationFailed(
            "The replacement is taken now or picked up at a shop.",
            extra={"fulfilment": ["Use carry_out or pickup."]},
        )


def _exchange_till(*, location, actor, till):
    """The open session the replacement is booked on, locked before any other row
    (``lock_counter``: the counter's lock order; the return and the replacement
    book into it in turn). Cash needs one open, the device's (``cash_session``):
    checked once the balance says whether any is taken."""
    till = till or open_session_at(location, actor=acting_user(actor))
    lock_counter(location=location, actor=actor, session=till)
    return till


def _replacement_lines(
    replacement: Sequence[LineRequest | tuple[Variant | int, int]],
) -> list[tuple[Variant, int]]:
    """The replacement's variants (for sale, loaded) and quantities."""
    wanted, _ = merge_lines(replacement, field="replacement")
    if not wanted:
        raise ValidationFailed(
            "Choose the replacement items.", extra={"replacement": ["Required."]}
        )
    loaded = sellable_variants(wanted)
    return [(loaded[pk], q) for pk, q in wanted.items()]


def replacement_prices(
    lines: Sequence[tuple[Variant, int]], location: Location, now: datetime | None
) -> tuple[dict[int, Decimal], str]:
    """The replacement's unit prices at this shop's shelf (its price list, by variant
    id) and their currency: checkout prices it the same way, and the desk's review
    shows these."""
    terms = check_terms(
        sale_terms(
            variants=[variant for variant, _ in lines],
            on=timezone.localdate(now or timezone.now()),
            shop=location,
            shop_field="location",
        )
    )
    return terms.prices, terms.currency


def check_exchange_currency(source: Order, currency: str) -> None:
    """The returned value pays the replacement in one currency (the desk's review
    checks it too, before anything is confirmed), through the customer's store
    credit (``credit_currency``)."""
    home = credit_currency()
    if source.currency == currency != home:
        raise ValidationFailed(
            f"Exchanges go through store credit, kept in {home}: refund this "
            f"{currency} sale to its payments and ring up the replacement as a new "
            "sale.",
            code="exchange_currency",
            extra={"replacement": [f"Refund and sell anew in {currency}."]},
        )
    if source.currency != currency:
        raise ValidationFailed(
            f"This order was paid in {source.currency} and this shop sells in "
            f"{currency}: exchange it at a shop that sells in {source.currency}, or "
            "refund it and ring up the replacement as a new sale.",
            code="exchange_currency",
            extra={"replacement": [f"Sold here in {currency}."]},
        )


def check_replacement_stock(replacement, fulfilment: str, store) -> None:
    """What the desk's review says before the exchange is confirmed (the stock
    reservation at checkout decides): a replacement taken now needs the units on this
    shop's shelf; one picked up, in the network."""
    stock = availability_here_and_elsewhere(
        variant_ids=[variant.pk for variant, _ in replacement], location=store
    )
    short = []
    for variant, units in replacement:
        here, elsewhere = stock[variant.pk]
        reach = here if fulfilment == FulfilmentMethod.CARRY_OUT else here + elsewhere
        if units > reach:
            where = "here" if fulfilment == FulfilmentMethod.CARRY_OUT else "anywhere"
            short.append(f"{variant.sku}: {max(reach, 0)} available {where}")
    if short:
        hint = (
            " Have it picked up at a shop, or choose another item."
            if fulfilment == FulfilmentMethod.CARRY_OUT
            else " Choose another item."
        )
        message = "Not enough stock for the replacement (" + "; ".join(short) + ")."
        raise ValidationFailed(
            message + hint, code="insufficient_stock", extra={"replacement": [message]}
        )


# Why a card or mobile wallet cannot pay an exchange's difference at a shop with a
# card reader: the card would be taken on the reader, as a counter sale's is
# (``start_card_payment``), and the reader charges counter sales only.
READER_TAKES_CARDS = (
    "This shop takes cards on its card reader, which charges counter sales"
)


def difference_tenders_refused(location: Location) -> dict[str, str]:
    """The tenders the difference cannot be paid with at ``location`` (method: why):
    at a shop with a card reader (``shop_terminal``), those presented on it
    (``CARD_PRESENT_METHODS``). The desk offers the others; the review and the
    exchange refuse these (``check_difference_tender``)."""
    if shop_terminal(location=location) is None:
        return {}
    why = f"{READER_TAKES_CARDS}: cash or a gift card here."
    return dict.fromkeys(CARD_PRESENT_METHODS, why)


def check_difference_tender(
    balance: ExchangeBalance, payments: Sequence[PaymentRequest], location: Location
) -> None:
    """A difference to pay is refused, before anything is written, with a tender this
    shop does not take for it (``difference_tenders_refused``); the desk's review
    checks it too, before anything is confirmed. An even exchange pays nothing."""
    card = any(p.method in CARD_PRESENT_METHODS for p in payments)
    if balance.to_pay <= 0 or not card:
        return
    refused = difference_tenders_refused(location)
    if any(p.method in refused for p in payments):
        raise ValidationFailed(
            f"{READER_TAKES_CARDS}: take the difference in cash or with a gift card, "
            "or refund the items and ring up the replacement as a sale.",
            code="exchange_card_on_reader",
            extra={"tender": ["Cash or a gift card here."]},
        )


def difference_tenders(
    to_pay: Decimal,
    payments: Sequence[PaymentRequest],
    *,
    currency: str,
    now: datetime,
    caller: str = "",
) -> list[PaymentRequest]:
    """What pays the difference ``to_pay``, as the exchange takes it and the desk's
    review shows it: nothing when there is none (no tender, so no cash and no
    till); a gift card with a tender after it pays what it holds, up to the
    difference (``gift_card_takes``: its number, PIN and balance checked, a wrong
    PIN counted against the card and ``caller``; with cash after it, a little less
    where the drawer's coins could not make the rest), and that tender the rest, if
    any is left; else ``payments`` as given."""
    if to_pay <= 0:
        return []
    payments = list(payments)
    card = payments[0] if payments else None
    if card is None or card.method != PaymentMethod.GIFT_CARD or len(payments) < 2:
        return payments
    share = gift_card_takes(
        card,
        due=to_pay,
        currency=currency,
        cash_rest=len(payments) == 2 and payments[1].method == PaymentMethod.CASH,
        now=now,
        caller=caller,
    )
    if share >= to_pay:
        return [card.with_amount(to_pay)]
    return [card.with_amount(share), *payments[1:]]


def _tenders(
    balance: ExchangeBalance,
    payments: Sequence[PaymentRequest],
    currency: str,
    *,
    now: datetime,
    caller: str,
) -> list[PaymentRequest]:
    """Store credit first, then ``payments`` for what is left to pay
    (``difference_tenders``)."""
    tenders = []
    if balance.credit_used > 0:
        tenders.append(
            PaymentRequest(
                method=PaymentMethod.STORE_CREDIT, amount=balance.credit_used
            )
        )
    paid = balance.to_pay
    if paid > 0:
        if not payments:
            raise ValidationFailed(
                f"The replacement costs {paid} {currency} more than "
                "the credit: take a payment for the difference.",
                extra={"payment": [f"{paid} to pay."]},
            )
        tenders += difference_tenders(
            paid, payments, currency=currency, now=now, caller=caller
        )
    return tenders
