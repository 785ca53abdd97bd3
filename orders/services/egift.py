"""An e-gift card bought online: paid by card through the checkout's payment
provider, issued at once (no VAT: a multi-purpose voucher) and emailed to its
recipient on the send date by ``send_due_e_gift_cards`` through the outbox: a card
for today right after the purchase commits, a later one by the periodic sweep.

The purchase is an order of its own, with no lines: its total is the card's amount,
its payment the card charge, the card linked to it (``gift_cards_sold``); the buyer
gets the order's receipt as the confirmation (``orders.placed``), and a signed-in
buyer's timeline the purchase, as for any order placed. An
``Idempotency-Key`` replays the first order, and the provider's idempotency key
names it, so a retried purchase charges once. Paid with a Stripe intent, the
intent is the one ``POST /checkout/payment-intent/`` made for the card (its
``reference`` comes back with the payment: ``payment_intents``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from customers.models import Customer
from inventory.markets import tax_table
from inventory.models import Market
from omnistore.core import outbox
from omnistore.core.channels import Channel
from omnistore.core.db import insert_rows
from omnistore.core.exceptions import Conflict, ValidationFailed
from omnistore.core.text import one_line
from orders.models import (
    EMAILED,
    GIFT_CARD_EMAIL_TOPIC,
    GiftCard,
    GiftCardKind,
    GiftCardStatus,
    Order,
    OrderStatus,
    OrderStatusChange,
    Payment,
)
from orders.payments.registry import provider_for

from .common import (
    cache_related,
    new_order_number,
    order_webhook,
    record_order_placed,
    replay,
    request_fingerprint,
)
from .giftcard_sales import sale_amount
from .giftcards import issue_gift_card, new_pin
from .intent_scope import E_GIFT_SCOPE
from .payment_release import refuse_given_back
from .payments import PaymentRequest

MAX_SEND_AHEAD_DAYS = 365


@dataclass(frozen=True)
class EGiftPurchase:
    """What the buyer asked for: the card, for whom, when, and who pays."""

    amount: Decimal
    country: str
    recipient_name: str
    recipient_email: str
    message: str
    send_on: date
    email: str
    payment: PaymentRequest
    sender_name: str = ""  # who gives it, as the recipient reads it

    def __post_init__(self):
        # The names go into the email's subject and greeting: on one line.
        object.__setattr__(self, "recipient_name", one_line(self.recipient_name))
        object.__setattr__(self, "sender_name", one_line(self.sender_name))


def _check(purchase: EGiftPurchase, now: datetime):
    """The amount, the send date (today up to a year ahead) and the market of the
    buyer's country, whose currency the card is in."""
    amount = sale_amount(purchase.amount)
    if not purchase.recipient_name:
        raise ValidationFailed(
            "Give the recipient's name.", extra={"recipient_name": ["Required."]}
        )
    today = timezone.localdate(now)
    if not today <= purchase.send_on <= today + timedelta(days=MAX_SEND_AHEAD_DAYS):
        raise ValidationFailed(
            "Choose a send date from today up to a year ahead.",
            extra={"send_on": ["From today up to a year ahead."]},
        )
    return amount, e_gift_market(purchase.country)


def e_gift_market(country: str):
    """The market of the buyer's ``country``: the card is in its currency and sold
    by its legal entity. A country no market sells in is refused (400)."""
    market = tax_table().market_of_country((country or "").upper())
    if market is None:
        raise ValidationFailed(
            "Gift cards are not sold in this country.",
            extra={"country": ["No market sells in this country."]},
        )
    return market


def purchase_e_gift_card(
    *,
    purchase: EGiftPurchase,
    customer: Customer | None = None,
    channel: str = Channel.WEB,
    idempotency_key: str = "",
    now: datetime | None = None,
) -> Order:
    """Charge the buyer and issue the e-gift card, all or nothing, as an order of
    ``channel`` (the website's or the app's); with an ``idempotency_key`` a repeated
    call returns the first order (``idempotent_replay``)."""
    now = now or timezone.now()
    amount, market = _check(purchase, now)
    key = (idempotency_key or "").strip()
    if len(key) > 100:
        raise ValidationFailed(
            "The key is too long.", extra={"idempotency_key": ["At most 100."]}
        )
    scope = f"customer:{customer.pk}" if customer is not None else "guest"
    fingerprint = _fingerprint(purchase) if key else ""
    try:
        with transaction.atomic(durable=True):
            order = _new_order(
                purchase, amount, market, customer, scope, key, now, channel=channel
            )
            order.idempotency_fingerprint = fingerprint
            return _write(order, purchase, market, scope, key, now)
    except IntegrityError:
        existing = (
            Order.objects.filter(idempotency_scope=scope, idempotency_key=key).first()
            if key
            else None
        )
        if existing is None:
            raise
        if not existing.gift_cards_sold.exists():
            raise Conflict(
                "This key was used for another order.",
                code="idempotency_key_reused",
                extra={"idempotency_key": ["Already used for another order."]},
            ) from None
        return replay(existing, fingerprint)


def _fingerprint(purchase: EGiftPurchase) -> str:
    """What a keyed purchase asks for: a guest sending another guest's key with
    their own purchase is refused, not shown the first buyer's card."""
    payment = purchase.payment
    parts = [
        [purchase.amount, purchase.country, purchase.send_on, purchase.email],
        [purchase.recipient_email, purchase.recipient_name, purchase.message],
        [payment.method, payment.token],
    ]
    if purchase.sender_name:  # a purchase keyed before names were given is the same
        parts.append([purchase.sender_name])
    return request_fingerprint(*parts)


def _new_order(
    purchase, amount, market, customer, scope, key, now, *, channel: str
) -> Order:
    return Order(
        number=new_order_number(),
        customer=customer,
        channel=channel,
        status=OrderStatus.COMPLETED,
        fulfilment_method=EMAILED,
        currency=market.currency,
        subtotal=amount,
        total=amount,
        net_total=amount,
        legal_entity_id=market.legal_entity_id,
        email=purchase.email or (customer.email if customer else ""),
        idempotency_scope=scope if key else "",
        idempotency_key=key,
        created_at=now,
        updated_at=now,
    )


def _write(order: Order, purchase, market, scope, key, now) -> Order:
    amount = order.total
    insert_rows([order])
    provider = provider_for(purchase.payment.method)
    refuse_given_back(provider, purchase.payment.token)  # locked until the commit
    result = provider.charge(
        method=purchase.payment.method,
        amount=amount,
        currency=order.currency,
        token=purchase.payment.token,
        idempotency_key=f"egift:{scope}:{key}" if key else f"egift:{order.number}",
        cart_reference=E_GIFT_SCOPE,  # paid only by an intent made for an e-gift card
    )
    payment = Payment(
        order=order,
        method=purchase.payment.method,
        amount=amount,
        currency=order.currency,
        provider=result.provider,
        provider_reference=result.reference,
        status=result.status,
        created_at=now,
    )
    insert_rows([payment])
    card = issue_gift_card(
        amount=amount,
        currency=order.currency,
        kind=GiftCardKind.DIGITAL,
        market=Market(pk=market.id),
        order=order,
        recipient_email=purchase.recipient_email,
        recipient_name=purchase.recipient_name,
        sender_name=purchase.sender_name,
        message=purchase.message,
        send_on=purchase.send_on,
        now=now,
    ).card
    send_e_gift_card_now_if_due(card, now=now)
    OrderStatusChange.objects.create(
        order=order, to_status=order.status, at=now, note="E-gift card bought online"
    )
    if order.customer is not None:
        record_order_placed(
            order,
            order.customer,
            payments=[payment],
            lines=0,
            location=None,
            actor=None,
            now=now,
        )
    outbox.enqueue(
        "orders.placed", {"order_id": order.pk}, dedupe_key=f"orders.placed:{order.pk}"
    )
    order_webhook(order, "placed")
    cache_related(order, "payments", [payment])
    cache_related(order, "gift_cards_sold", [card])
    order.idempotent_replay = False
    return order


logger = logging.getLogger(__name__)
E_GIFT_DUE_TOPIC = "orders.e_gift_due"


def send_e_gift_card_now_if_due(card: GiftCard, *, now: datetime) -> None:
    """A card bought for today goes out once its purchase commits (through the
    outbox, by ``send_due_e_gift_cards``), not at the next sweep; a card for a later
    date waits for the sweep."""
    if card.send_on is not None and card.send_on <= timezone.localdate(now):
        outbox.enqueue(
            E_GIFT_DUE_TOPIC,
            {"card_id": card.pk},
            dedupe_key=f"{E_GIFT_DUE_TOPIC}:{card.pk}",
        )


def e_gift_cards_to_send() -> QuerySet[GiftCard]:
    """E-gift cards still to be emailed to their recipients: live, never sent, with
    an address to send to. The sweep sends them on their date; until then their
    buyer's erasure waits, and their recipient's data stays on them."""
    return GiftCard.objects.filter(
        kind=GiftCardKind.DIGITAL,
        status=GiftCardStatus.ACTIVE,
        sent_at__isnull=True,
    ).exclude(recipient_email="")


def send_due_e_gift_cards(
    *, now: datetime | None = None, card_ids: Iterable[int] | None = None
) -> list[int]:
    """E-gift cards whose send date has come (of ``card_ids`` when given) are emailed
    to their recipients, once: the PIN is made now (nobody knew the card's PIN before,
    so it could not be spent early), stored hashed, and travels only in the email's
    outbox row."""
    now = now or timezone.now()
    due = e_gift_cards_to_send().filter(send_on__lte=timezone.localdate(now))
    if card_ids is not None:
        due = due.filter(pk__in=list(card_ids))
    sent = []
    for pk in list(due.values_list("pk", flat=True)):
        try:
            if _send_e_gift_card(pk, now):
                sent.append(pk)
        except Exception:  # this card only: the next sweep sends it
            logger.exception("gift cards: sending e-gift card %s failed", pk)
    return sent


@transaction.atomic
def _send_e_gift_card(pk: int, now: datetime) -> bool:
    card = GiftCard.objects.select_for_update().get(pk=pk)
    if card.sent_at is not None:
        return False
    pin = new_pin()
    card.pin_hash = make_password(pin)
    card.sent_at = now
    card.save(update_fields=["pin_hash", "sent_at"])
    outbox.enqueue(
        GIFT_CARD_EMAIL_TOPIC,
        {"card_id": card.pk, "pin": pin},
        dedupe_key=f"{GIFT_CARD_EMAIL_TOPIC}:{card.pk}",
    )
    return True
