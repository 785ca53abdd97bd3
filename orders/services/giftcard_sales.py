"""Gift cards sold as a product: a physical card activated at the counter.

A card is pre-printed with its number (barcode) and a PIN under a scratch strip. The
associate scans the number, types the PIN from the strip and the amount; the PIN is
hashed at once (``prepare_card_sale``) and only its hash is kept until checkout. The
card line is paid with the rest of the sale (never with another gift card) and the
card is activated — issued with its balance, an ``issue`` ledger row, linked to the
order — inside the order's transaction (``activate_sold_cards``, called by
``write_order``): a sale that fails leaves no card active, and a number already
active refuses the whole sale (the card number is unique in the database, so two
tills activating the same card at once give one card).

A gift card is a multi-purpose voucher: its sale carries no VAT (VAT is due when it
is spent). It is no ``OrderLine``: the sold cards are the order's
``gift_cards_sold``; the order's total and net total include them, its VAT totals
and the goods reports do not.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.contrib.auth.hashers import make_password

from inventory.markets import tax_table
from inventory.models import Market
from omnistore.core.digits import is_amount
from omnistore.core.exceptions import ValidationFailed
from orders.models import GiftCard, Order, PaymentMethod

from .giftcard_pins import normalize_card_number
from .giftcards import (
    CARD_NUMBER_DIGITS,
    check_card_amount,
    check_pin,
    issue_gift_card,
)


@dataclass(frozen=True)
class GiftCardSale:
    """One card to activate: its scanned number, its PIN (hashed) and the amount."""

    number: str
    amount: Decimal
    pin_hash: str = field(default="", repr=False)

    def as_dict(self) -> dict:
        return {"number": self.number, "amount": str(self.amount), "pin": self.pin_hash}

    @classmethod
    def from_dict(cls, data: dict) -> GiftCardSale:
        return cls(data["number"], Decimal(data["amount"]), data.get("pin", ""))

    @property
    def masked_number(self) -> str:
        return f"•••• {self.number[-4:]}"


def sale_amount(amount) -> Decimal:
    """From ``OMNISTORE_GIFT_CARD_MIN_AMOUNT`` to ``OMNISTORE_GIFT_CARD_MAX_AMOUNT``,
    at most two decimals, written as digits (``1e1`` or ``+10`` is not an amount an
    associate types). Out of that range, the refusal names it whole."""
    text = amount if isinstance(amount, Decimal) else str(amount).strip()
    if isinstance(text, str) and not is_amount(text):
        raise ValidationFailed(
            "Enter the amount in digits, such as 25.00.",
            extra={"amount": ["Digits, such as 25.00."]},
        )
    try:
        value = Decimal(text)
    except (InvalidOperation, TypeError, ValueError):
        raise ValidationFailed(
            "Enter the amount.", extra={"amount": ["Not a number."]}
        ) from None
    if not value.is_finite() or value.as_tuple().exponent < -2:
        raise ValidationFailed(
            "Enter the amount in cents at most.",
            extra={"amount": ["At most two decimals."]},
        )
    least = settings.OMNISTORE_GIFT_CARD_MIN_AMOUNT
    most = settings.OMNISTORE_GIFT_CARD_MAX_AMOUNT
    if not least <= value <= most:
        raise ValidationFailed(
            f"A gift card is sold from {least} to {most}.",
            extra={"amount": [f"From {least} to {most}."]},
        )
    return check_card_amount(value)


def prepare_card_sale(
    *, number, pin, amount, selling: Sequence[GiftCardSale] = ()
) -> GiftCardSale:
    """A card for the basket, checked before the sale: the number scanned (16
    digits, not in the basket yet, not already active), the PIN from its strip and
    the amount. The PIN leaves here hashed."""
    number = normalize_card_number(number)
    if len(number) != CARD_NUMBER_DIGITS:
        raise ValidationFailed(
            "Scan the card's number.",
            extra={"number": [f"{CARD_NUMBER_DIGITS} digits."]},
        )
    if any(sale.number == number for sale in selling):
        raise ValidationFailed(
            "This card is in the basket already.",
            code="gift_card_active",
            extra={"number": ["Already in the basket."]},
        )
    if GiftCard.objects.filter(number=number).exists():
        raise ValidationFailed(
            "This card is already active.",
            code="gift_card_active",
            extra={"number": ["This card number is already in use."]},
        )
    amount = sale_amount(amount)
    return GiftCardSale(number, amount, make_password(check_pin(pin)))


def cards_total(sales: Sequence[GiftCardSale]) -> Decimal:
    return sum((sale.amount for sale in sales), Decimal("0.00"))


def check_cards_sold(sales: Sequence[GiftCardSale], payments, *, method: str) -> None:
    """Before the transaction: cards sell at the counter only (carried out), with
    distinct numbers, and are paid with money (``STORED_VALUE`` does not buy them)."""
    if not sales:
        return
    if method != "carry_out":
        raise ValidationFailed(
            "A gift card is sold and taken at the counter.",
            extra={"gift_cards": ["Only in a take-now sale."]},
        )
    if len({sale.number for sale in sales}) != len(sales):
        raise ValidationFailed(
            "A card is in the basket twice.",
            extra={"gift_cards": ["Each card once."]},
        )
    if any(p.method in STORED_VALUE for p in payments or ()):
        raise ValidationFailed(
            "A gift card is paid with cash or a card: not with another gift card, "
            "store credit or points (sell it apart from what they pay for).",
            code="gift_card_pays_gift_card",
            extra={"payment": ["Pay the gift card with cash or a card."]},
        )


# What may not buy a gift card: a card would turn them into money anyone spends,
# with a longer life (store credit is one customer's, points are not money).
STORED_VALUE = frozenset(
    {PaymentMethod.GIFT_CARD, PaymentMethod.STORE_CREDIT, PaymentMethod.LOYALTY_POINTS}
)


def activate_sold_cards(
    sales: Sequence[GiftCardSale], *, order: Order, location, actor, now
) -> list[GiftCard]:
    """Issue the sold cards in the order's transaction (``issue`` rows linked to it),
    in the market of the shop that sells them (an e-gift card's is the market it was
    bought for); a card already active refuses the sale whole."""
    if not sales:
        return []
    terms = tax_table().market_of_location(location) if location else None
    market = Market(pk=terms.id) if terms is not None else None
    return [
        issue_gift_card(
            amount=sale.amount,
            currency=order.currency,
            number=sale.number,
            pin_hash=sale.pin_hash,
            market=market,
            location=location,
            order=order,
            actor=actor,
            now=now,
        ).card
        for sale in sales
    ]
