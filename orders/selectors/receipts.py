"""The receipt: one structure built from an order (a sale, a gift receipt, an
exchange) or a return, rendered three ways — the 80 mm print page, the email and the
API — so what a customer is handed, mailed and shown online says the same.

It carries what a receipt must: the seller (legal entity with its VAT number) and the
shop, the lines, VAT per rate, the tenders and the change, who served. A gift receipt
is the same sale without amounts. An exchange shows both sides: what came back and
what went out, and what the difference cost.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db.models import Prefetch

from customers.selectors.team import associate_public_name
from omnistore.core.exceptions import Conflict, NotFound
from omnistore.core.vat import format_vat_number
from orders.models import (
    GiftCardKind,
    Order,
    PaymentMethod,
    Return,
    ReturnLine,
    ReturnStatus,
    ReturnStatusChange,
    StoreCreditTransaction,
    TillMovement,
    TillMovementKind,
)
from orders.pricing import order_delivery
from orders.selectors.giftcards import gift_cards_sold
from orders.selectors.orders import cancelled_part_ids, order_detail_queryset
from orders.selectors.refunds_given import (
    Tender,
    exchange_given_back,
    payment_refunds,
    refunds_made,
    return_refunds,
)

ZERO = Decimal("0.00")


class ReceiptKind:
    SALE = "sale"
    GIFT = "gift"
    RETURN = "return"
    EXCHANGE = "exchange"
    CHOICES = (SALE, GIFT, RETURN, EXCHANGE)


TITLES = {
    ReceiptKind.SALE: "Receipt",
    ReceiptKind.GIFT: "Gift receipt",
    ReceiptKind.RETURN: "Refund receipt",
    ReceiptKind.EXCHANGE: "Exchange receipt",
}


@dataclass
class Party:
    """The seller or the shop: a name, an address and, for a seller, a VAT number."""

    name: str
    address: str = ""
    vat_number: str = ""


@dataclass
class ReceiptLine:
    name: str
    sku: str
    quantity: int
    unit_price: Decimal | None
    discount: Decimal | None
    total: Decimal | None
    rate: Decimal | None
    # The shelf price of a line sold at a price set at the counter.
    shelf_price: Decimal | None = None
    # Units of it in parts cancelled before they left (``cancelled_part_ids``).
    quantity_cancelled: int = 0

    @property
    def before_discount(self) -> Decimal | None:
        """The line's amount before its share of the order's discount: what the
        receipt's column prints, so its lines less the discount are its total."""
        if self.total is None:
            return None
        return self.total + (self.discount or ZERO)

    @property
    def set_at_counter(self) -> str:
        """How far a price set at the counter took the line from its shelf price,
        over its units, as a discount reads ("−14.90"; "+5.00" above it); "" for
        none."""
        if self.shelf_price is None or self.unit_price is None:
            return ""
        off = (self.shelf_price - self.unit_price) * self.quantity
        return f"−{off}" if off >= 0 else f"+{-off}"


@dataclass
class VatRow:
    rate: Decimal
    net: Decimal
    tax: Decimal
    gross: Decimal


@dataclass
class ReceiptPart:
    """One side of a receipt: the items sold, or the items taken back."""

    lines: list[ReceiptLine]
    total: Decimal | None
    vat: list[VatRow] = field(default_factory=list)
    discount: Decimal | None = None


@dataclass
class Receipt:
    kind: str
    reference: str
    order_number: str
    issued_at: datetime
    currency: str
    seller: Party | None
    shop: Party | None
    served_by: str
    customer: str
    sold: ReceiptPart | None = None
    returned: ReceiptPart | None = None
    tenders: list[Tender] = field(default_factory=list)
    refunds: list[Tender] = field(default_factory=list)
    cash_tendered: Decimal | None = None
    change: Decimal | None = None
    # Cash handed over in the drawer's smallest coin (francs: 0.05): what the cash
    # paid or given back differs from the exact amount by (-0.01: 0.01 less).
    rounding: Decimal | None = None
    return_code: str = ""
    cancelled_at: datetime | None = None
    # A return that paid an exchange: the new order, and the store credit it spent
    # there (not given back, so not among ``refunds``).
    exchange_order_number: str = ""
    exchange_paid: Decimal | None = None

    @property
    def title(self) -> str:
        return TITLES[self.kind]

    @property
    def prices(self) -> bool:
        return self.kind != ReceiptKind.GIFT

    @property
    def vat(self) -> list[VatRow]:
        """The VAT of what this receipt charges (an exchange: of the new side)."""
        part = self.sold or self.returned
        return part.vat if part and self.prices else []


def _vat_rows(rows: Iterable[tuple[Decimal, Decimal, Decimal]]) -> list[VatRow]:
    totals: dict[Decimal, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
    for rate, net, tax in rows:
        totals[rate][0] += net
        totals[rate][1] += tax
    return [
        VatRow(rate=rate, net=net, tax=tax, gross=net + tax)
        for rate, (net, tax) in sorted(totals.items(), reverse=True)
    ]


def _seller(order: Order) -> Party | None:
    entity = order.legal_entity
    if entity is None:
        return None
    return Party(entity.name, entity.address, format_vat_number(entity.vat_number))


def _shop(location) -> Party | None:
    return Party(location.name, location.address) if location is not None else None


def _order_shop(order: Order):
    if order.placing_location_id:
        return order.placing_location
    return next(
        (f.pickup_location for f in order.fulfilments.all() if f.pickup_location_id),
        None,
    )


def _served_by(user) -> str:
    """Who served, as every customer-facing name of staff reads: first name and
    initial ("Giulia B."). Each rendering of a receipt is the customer's (the paper
    one handed over included), so all say it so."""
    return associate_public_name(user) if user is not None else ""


def _customer(customer) -> str:
    if customer is None:
        return ""
    return customer.company_name or customer.full_name or str(customer)


def _rate(line) -> Decimal | None:
    """The VAT rate a line was sold at; none for a line sold before VAT was
    recorded (its net and VAT were never split, so they do not add up)."""
    return line.tax_rate if line.net + line.tax == line.line_total else None


@dataclass
class SameItem:
    """Order lines of one item at one price, read as one: checkout splits an item
    over the locations it comes from, and the customer bought it once."""

    name: str
    sku: str
    unit_price: Decimal
    tax_rate: Decimal
    quantity: int = 0
    discount: Decimal = ZERO
    line_total: Decimal = ZERO
    net: Decimal = ZERO
    tax: Decimal = ZERO
    # A price set at the counter: the shelf price it replaced, and why.
    shelf_price: Decimal | None = None
    price_reason: str = ""
    cancelled: int = 0  # units in parts cancelled before they left


def same_items_once(lines: Iterable, cancelled_parts=()) -> list[SameItem]:
    """The order's lines as its receipt and emails list them: the same item at the
    same price once, with the summed quantity, in the order first sold; with the
    units of ``cancelled_parts`` (``cancelled_part_ids``) counted as cancelled."""
    items: dict[tuple, SameItem] = {}
    for line in lines:
        key = (line.sku, line.name, line.unit_price, line.tax_rate, line.shelf_price)
        item = items.setdefault(
            key,
            SameItem(
                line.name,
                line.sku,
                line.unit_price,
                line.tax_rate,
                shelf_price=line.shelf_price,
                price_reason=line.price_reason,
            ),
        )
        item.quantity += line.quantity
        if cancelled_parts and line.fulfilment_id in cancelled_parts:
            item.cancelled += line.quantity
        item.discount += line.discount
        item.line_total += line.line_total
        item.net += line.net
        item.tax += line.tax
    return list(items.values())


def _sold(order: Order, *, prices: bool) -> ReceiptPart:
    lines = [
        ReceiptLine(
            name=line.name,
            sku=line.sku,
            quantity=line.quantity,
            unit_price=line.unit_price if prices else None,
            discount=line.discount if prices else None,
            total=line.line_total if prices else None,
            rate=_rate(line) if prices else None,
            shelf_price=line.shelf_price if prices else None,
            quantity_cancelled=line.cancelled,
        )
        for line in same_items_once(order.lines.all(), cancelled_part_ids(order))
    ]
    lines += _gift_cards_sold(order, prices=prices)
    if not prices:  # a gift receipt: what is in the parcel, not what it cost
        return ReceiptPart(lines=lines, total=None)
    lines += _delivery(order)
    vat = _vat_rows((t.rate, t.net, t.tax) for t in order.tax_totals.all())
    return ReceiptPart(
        lines=lines, total=order.total, vat=vat, discount=order.discount_total
    )


def _delivery(order: Order) -> list[ReceiptLine]:
    """The delivery the order paid, as a line taxed like its goods."""
    taxed = order_delivery(order.delivery_fee, order.lines.all())
    if taxed is None:
        return []
    return [
        ReceiptLine(
            name="Delivery",
            sku="",
            quantity=1,
            unit_price=order.delivery_fee,
            discount=ZERO,
            total=order.delivery_fee,
            rate=taxed.rate,
        )
    ]


def _gift_cards_sold(order: Order, *, prices: bool) -> list[ReceiptLine]:
    """The gift cards a sale activated (``gift_cards_sold``), as lines without
    VAT."""
    return [
        ReceiptLine(
            name=_gift_card_said(card),
            sku="",
            quantity=1,
            unit_price=card.initial_amount if prices else None,
            discount=ZERO if prices else None,
            total=card.initial_amount if prices else None,
            rate=None,
        )
        for card in gift_cards_sold(order)
    ]


def _gift_card_said(card) -> str:
    """A gift card sold, as the buyer reads it; an e-gift card says for whom and on
    which day it is emailed."""
    said = f"Gift card {card.masked_number} (no VAT)"
    if card.kind != GiftCardKind.DIGITAL or not card.recipient_email:
        return said
    recipient = card.recipient_name or card.recipient_email
    if card.recipient_name:
        recipient += f" ({card.recipient_email})"
    said = f"E-gift card {card.masked_number} (no VAT) for {recipient}"
    if card.send_on is None:
        return said
    return f"{said}, emailed on {card.send_on.day} {card.send_on:%B %Y}"


def returned_split(row: ReturnLine) -> tuple[Decimal, Decimal]:
    """Net and VAT of a returned line: as the return recorded them, or — for a
    return written without the split — the order line's VAT in proportion to the
    amount refunded (the rate it was sold at, never today's). Receipts and credit
    notes both read it here."""
    if row.net + row.tax == row.amount:
        return row.net, row.tax
    line = row.order_line
    if not line.line_total or _rate(line) is None:
        return row.amount, ZERO
    tax = (line.tax * row.amount / line.line_total).quantize(Decimal("0.01"))
    return row.amount - tax, tax


def returned_discount(row: ReturnLine) -> Decimal:
    """The discount on the units of a returned line: what their shelf price comes to
    less what is given back for them (the line's share of the order's discount), so
    unit price × quantity − discount is the amount. Refund receipts and credit notes
    both read it here."""
    return max(row.quantity * row.order_line.unit_price - row.amount, ZERO)


def _returned(ret: Return) -> ReceiptPart:
    rows = list(ret.lines.all())
    splits = [returned_split(row) for row in rows]
    lines = [
        ReceiptLine(
            name=row.order_line.name,
            sku=row.order_line.sku,
            quantity=row.quantity,
            unit_price=row.order_line.unit_price,
            discount=returned_discount(row) or None,
            total=row.amount,
            rate=_rate(row.order_line),
        )
        for row in rows
    ]
    return ReceiptPart(
        lines=lines,
        total=sum((row.amount for row in rows), ZERO),
        vat=_vat_rows(
            (row.order_line.tax_rate, net, tax)
            for row, (net, tax) in zip(rows, splits, strict=True)
            if _rate(row.order_line) is not None
        ),
    )


def _tenders(order: Order) -> list[Tender]:
    labels = dict(PaymentMethod.choices)
    return [
        Tender(p.method, labels.get(p.method, p.method), p.amount)
        for p in order.payments.all()
    ]


def _refund_rounding(ret: Return) -> Decimal | None:
    """What the cash given back was rounded by, as the customer got it (the till
    books it as the drawer kept it: the other sign)."""
    rounding = sum(
        (
            -booking.rounding
            for row in ret.refunds.all()
            for booking in row.refund.till_movements.all()
        ),
        ZERO,
    )
    return rounding or None


def build_receipt(
    order: Order,
    *,
    gift: bool = False,
    booking: TillMovement | None = None,
    exchange: Return | None = None,
) -> Receipt:
    """The receipt of an order, from rows already loaded (``receipt_queryset``):
    ``booking`` is its till booking (cash and change), ``exchange`` the return whose
    value paid for it."""
    kind = ReceiptKind.GIFT if gift else ReceiptKind.SALE
    if exchange is not None and not gift:
        kind = ReceiptKind.EXCHANGE
    receipt = Receipt(
        kind=kind,
        reference=order.number,
        order_number=order.number,
        issued_at=order.created_at,
        currency=order.currency,
        seller=_seller(order),
        shop=_shop(_order_shop(order)),
        served_by=_served_by(order.staff_member),
        customer=_customer(order.customer),
        sold=_sold(order, prices=not gift),
    )
    if gift:
        return receipt
    receipt.tenders = _tenders(order)
    # Given back: all of a cancelled order, or its parts cancelled before they left.
    receipt.refunds = payment_refunds(order)
    receipt.cancelled_at = order.cancelled_at
    if booking is not None and booking.tendered is not None:
        receipt.cash_tendered, receipt.change = booking.tendered, booking.change
    if booking is not None and booking.rounding:
        receipt.rounding = booking.rounding
    if exchange is not None:
        receipt.returned = _returned(exchange)
        receipt.return_code = exchange.code
        receipt.refunds = [*exchange_given_back(exchange, order), *receipt.refunds]
    return receipt


def build_return_receipt(ret: Return) -> Receipt:
    """What a customer gets back for a return: the lines, their VAT as sold, and how
    the money went back. A return that paid an exchange gives back only what the new
    order did not spend (``exchange_given_back``); the rest paid that order."""
    order = ret.order
    receipt = Receipt(
        kind=ReceiptKind.RETURN,
        reference=ret.code,
        order_number=order.number,
        issued_at=ret.refunded_at or ret.received_at or ret.created_at,
        currency=order.currency,
        seller=_seller(order),
        shop=_shop(ret.receiving_location),
        served_by=_served_by(_refunded_by(ret)),
        customer=_customer(ret.customer),
        returned=_returned(ret),
        refunds=return_refunds(ret),
        rounding=_refund_rounding(ret),
        return_code=ret.code,
    )
    if ret.exchange_order_id is not None:
        made = sum((tender.amount for tender in receipt.refunds), ZERO)
        receipt.refunds = exchange_given_back(ret, ret.exchange_order)
        receipt.exchange_order_number = ret.exchange_order.number
        receipt.exchange_paid = made - sum((t.amount for t in receipt.refunds), ZERO)
    return receipt


def _refunded_by(ret: Return):
    """Who paid the return back (the refund's step in its history, prefetched as
    ``refund_steps``); the associate who took it in for a refund with no one's name."""
    actors = [step.actor for step in ret.refund_steps if step.actor is not None]
    return actors[-1] if actors else ret.created_by


# --- Loading --------------------------------------------------------------------------


def _return_lines():
    return Prefetch(
        "lines", queryset=ReturnLine.objects.select_related("order_line").order_by("id")
    )


def receipt_queryset():
    """Orders with what their receipts show, in a fixed number of queries (VAT per
    rate in the model's order: highest rate first)."""
    return (
        order_detail_queryset()
        .select_related("legal_entity")
        .prefetch_related("tax_totals")
    )


def receipt_extras(orders: list[Order]) -> tuple[dict, dict]:
    """The till bookings and the exchange returns of these orders (with what the
    returns gave back), by order id: two queries whatever their number, two more
    when there are exchanges."""
    ids = [order.pk for order in orders]
    bookings = {
        b.order_id: b
        for b in TillMovement.objects.filter(
            order_id__in=ids, kind=TillMovementKind.SALE
        )
    }
    exchanges = {
        r.exchange_order_id: r
        for r in Return.objects.filter(exchange_order_id__in=ids).prefetch_related(
            _return_lines(),
            Prefetch("refunds", queryset=refunds_made()),
            Prefetch(
                "store_credit", queryset=StoreCreditTransaction.objects.order_by("id")
            ),
        )
    }
    return bookings, exchanges


def order_receipt(order: Order, *, gift: bool = False) -> Receipt:
    bookings, exchanges = receipt_extras([order])
    return build_receipt(
        order,
        gift=gift,
        booking=bookings.get(order.pk),
        exchange=exchanges.get(order.pk),
    )


def find_order_for_receipt(*, number: str, customer=None) -> Order:
    """One order by number with its receipt's rows; with ``customer``, only theirs."""
    orders = receipt_queryset().filter(number=(number or "").strip().upper())
    if customer is not None:
        orders = orders.filter(customer=customer)
    order = orders.first()
    if order is None:
        raise NotFound("Order not found.")
    return order


def return_receipt(*, code: str, customer=None) -> Receipt:
    """The refund receipt of a return paid back; before its refund there is none."""
    refund_steps = ReturnStatusChange.objects.filter(
        to_status=ReturnStatus.REFUNDED
    ).select_related("actor")
    returns = (
        Return.objects.filter(refunded_at__isnull=False)
        .select_related(
            "order__legal_entity",
            "receiving_location",
            "created_by",
            "customer",
            "exchange_order",
        )
        .prefetch_related(
            _return_lines(),
            "exchange_order__payments",
            Prefetch(
                "refunds",
                queryset=refunds_made().prefetch_related("refund__till_movements"),
            ),
            "store_credit",
            Prefetch("history", queryset=refund_steps, to_attr="refund_steps"),
        )
    )
    if customer is not None:
        returns = returns.filter(customer=customer)
    code = (code or "").strip().upper()
    ret = returns.filter(code=code).first()
    if ret is None:
        waiting = Return.objects.filter(code=code, refunded_at__isnull=True).exclude(
            status=ReturnStatus.CANCELLED
        )
        if customer is not None and waiting.filter(customer=customer).exists():
            raise Conflict(
                "The refund receipt is issued once the return is refunded.",
                code="return_not_refunded",
            )
        raise NotFound("Return not found.")
    return build_return_receipt(ret)
