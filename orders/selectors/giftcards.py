"""Gift cards as they stand now (``gift_card_status``; closed to refunds:
``gift_card_closed``), the cards payments paid with (``cards_paid_with``) and an
order sold (``gift_cards_sold``), and stored value for finance: what gift cards and store
credit still owe (the liability), and what was issued, spent, given back and
expired (breakage) in a period, per market and currency, all read from the
ledgers."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db.models import DecimalField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from omnistore.core.spreadsheet import SafeWriter
from orders.models import (
    GiftCard,
    GiftCardStatus,
    GiftCardTransaction,
    GiftCardTxnKind,
    Order,
    PaymentMethod,
    StoreCreditKind,
    StoreCreditTransaction,
)

ZERO = Decimal("0.00")

# What a card is now, in the answer of a balance check and on the staff pages.
CARD_STATUS_LABELS = {
    "active": "Active",
    "void": "Void",
    "expired": "Expired",
}


def gift_card_status(card: GiftCard, *, now: datetime | None = None) -> str:
    """``void``, ``expired`` or ``active``: the status the card has now. A card past
    its date is expired whether or not the hourly expiry has booked what was left
    on it (the stored status stays ``active``); it pays for nothing either way."""
    if card.status == GiftCardStatus.VOID:
        return "void"
    if card.expires_at <= (now or timezone.now()):
        return "expired"
    return "active"


def gift_card_closed(card: GiftCard, *, now: datetime | None = None) -> str:
    """Why ``card`` neither pays nor takes money back, as a refund to it is refused
    (``GiftCardClosed``): "is void", "expired on 2025-03-31" (the shops' day), or
    nothing while it is active (``gift_card_status``)."""
    status = gift_card_status(card, now=now)
    if status == "void":
        return "is void"
    if status == "expired":
        return f"expired on {timezone.localdate(card.expires_at):%Y-%m-%d}"
    return ""


def cards_paid_with(payments) -> dict[int, GiftCard]:
    """The gift card each of ``payments`` paid with, by payment id: the card of the
    spend the payment names (its provider reference), as a refund of it finds the
    card. One query, none without a gift card payment."""
    spent = {
        payment.provider_reference: payment.pk
        for payment in payments
        if payment.method == PaymentMethod.GIFT_CARD
    }
    if not spent:
        return {}
    rows = GiftCardTransaction.objects.filter(reference__in=spent).select_related(
        "card"
    )
    return {spent[row.reference]: row.card for row in rows}


def gift_cards_sold(order: Order) -> list[GiftCard]:
    """The gift cards ``order`` sold, first sold first. A card is no order line, so
    the order's page, its API detail and its receipt list these after the lines:
    its goods, these cards and its delivery, less its discount, make its total.
    Each carries its status now (``status_now``, as ``gift_card_status``, and its
    ``status_label``).

    Only an order whose subtotal is more than its goods sold cards (the subtotal
    counts them, the lines do not): an order of goods reads no more than its lines
    (loaded with it), one that sold cards one query, none for the cards its sale
    just wrote."""
    goods = sum((line.unit_price * line.quantity for line in order.lines.all()), ZERO)
    if order.subtotal <= goods:
        return []
    cards = sorted(order.gift_cards_sold.all(), key=lambda card: card.pk)
    now = timezone.now()
    for card in cards:
        card.status_now = gift_card_status(card, now=now)
        card.status_label = CARD_STATUS_LABELS[card.status_now]
    return cards


@dataclass
class LiabilityRow:
    tender: str
    market: str
    currency: str
    outstanding: Decimal = ZERO
    issued: Decimal = ZERO
    redeemed: Decimal = ZERO
    refunded: Decimal = ZERO
    expired: Decimal = ZERO
    voided: Decimal = ZERO
    adjusted: Decimal = ZERO
    extra: dict = field(default_factory=dict)


GIFT_CARD_COLUMNS = {
    "issued": [GiftCardTxnKind.ISSUE],
    "redeemed": [GiftCardTxnKind.REDEEM],
    "refunded": [GiftCardTxnKind.REFUND],
    "expired": [GiftCardTxnKind.EXPIRE],
    "voided": [GiftCardTxnKind.VOID],
    "adjusted": [GiftCardTxnKind.ADJUST],
}
STORE_CREDIT_COLUMNS = {
    "issued": [StoreCreditKind.RETURN],
    "redeemed": [StoreCreditKind.PAYMENT],
    "refunded": [StoreCreditKind.PAYMENT_REFUND],
    "expired": [StoreCreditKind.EXPIRY, StoreCreditKind.FORFEIT],  # breakage
}


def _money(value) -> Decimal:
    return Decimal(value or 0).quantize(ZERO)


def _sums(rows, group: list[str], columns: dict, start, end) -> list[dict]:
    period = Q(created_at__gte=start, created_at__lt=end)
    return list(
        rows.values(*group)
        .order_by(*group)
        .annotate(
            outstanding=Sum("amount", filter=Q(created_at__lt=end)),
            **{
                name: Sum("amount", filter=period & Q(kind__in=kinds))
                for name, kinds in columns.items()
            },
        )
    )


def stored_value_liability(*, start: datetime, end: datetime) -> list[LiabilityRow]:
    """One row per tender, market and currency: the balance owed at ``end`` and
    the movements in ``[start, end)`` (issued positive, spent and expired negative,
    as the ledgers hold them). Two queries whatever the number of rows."""
    report = []
    for row in _sums(
        GiftCardTransaction.objects.all(),
        ["card__market__name", "currency"],
        GIFT_CARD_COLUMNS,
        start,
        end,
    ):
        report.append(
            LiabilityRow(
                tender="Gift cards",
                market=row["card__market__name"] or "All markets",
                currency=row["currency"],
                **{k: _money(row[k]) for k in ["outstanding", *GIFT_CARD_COLUMNS]},
            )
        )
    for row in _sums(
        StoreCreditTransaction.objects.all(),
        ["currency"],
        STORE_CREDIT_COLUMNS,
        start,
        end,
    ):
        report.append(
            LiabilityRow(
                tender="Store credit",
                market="All markets",
                currency=row["currency"],
                **{k: _money(row[k]) for k in ["outstanding", *STORE_CREDIT_COLUMNS]},
            )
        )
    return report


CSV_COLUMNS = [
    "tender",
    "market",
    "currency",
    "outstanding",
    "issued",
    "redeemed",
    "refunded",
    "expired",
    "voided",
    "adjusted",
]


def liability_csv(rows: list[LiabilityRow]) -> str:
    out = io.StringIO()
    writer = SafeWriter(out)
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow([getattr(row, name) for name in CSV_COLUMNS])
    return out.getvalue()


def cards_sold_amount() -> Coalesce:
    """An order's gift cards sold, in all (0 without any): an expression over
    ``OuterRef("pk")`` for annotating orders in the same query."""
    money = DecimalField(max_digits=12, decimal_places=2)
    return Coalesce(
        Subquery(
            GiftCard.objects.filter(order=OuterRef("pk"))
            .values("order")
            .annotate(amount=Sum("initial_amount"))
            .values("amount"),
            output_field=money,
        ),
        Value(Decimal("0.00")),
        output_field=money,
    )
