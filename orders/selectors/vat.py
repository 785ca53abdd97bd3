"""The VAT ledger for the accountant: per seller, month, country, rate and currency,
the net, VAT and gross sold and refunded.

A month once filed never changes: sales are counted in the month the order was
placed, whatever happens to it later, from each order's VAT per rate and class (its
lines' and its delivery's); refunds in the month they were paid back, at the rate
and in the country of what they give back (as sold, never today's rate): returns'
lines, the lines of a split delivery's parts cancelled before they left
(``cancelled_part_lines``), whole at their sold amounts in the month of the
cancellation, and a cancelled order's VAT per rate and class, delivery included, in
the month its status history says it was cancelled — as their credit notes say.
Amounts of different currencies are never added up: the currency is part of every
row's key. Nor are two sellers' (legal entities'): each files its own return, so the
seller who sold the order (its name and VAT number, as on its documents) leads every
row's key. Four grouped queries whatever the volume.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import (
    DateTimeField,
    DecimalField,
    F,
    OuterRef,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from omnistore.core.spreadsheet import SafeWriter
from omnistore.core.vat import format_vat_number
from orders.models import (
    OrderLine,
    OrderStatus,
    OrderStatusChange,
    OrderTaxTotal,
    ReturnLine,
)

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


@dataclass
class LedgerRow:
    # Who sold (the order's legal entity): "" for an order without one on record.
    seller: str
    seller_vat_number: str
    period: str  # YYYY-MM
    country: str
    rate: Decimal
    tax_class: str
    currency: str
    sales: list[Decimal] = field(default_factory=lambda: [ZERO, ZERO, ZERO])
    refunds: list[Decimal] = field(default_factory=lambda: [ZERO, ZERO, ZERO])

    @property
    def net(self) -> Decimal:
        return self.sales[0] - self.refunds[0]

    @property
    def tax(self) -> Decimal:
        return self.sales[1] - self.refunds[1]

    @property
    def gross(self) -> Decimal:
        return self.sales[2] - self.refunds[2]


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """From the start of ``start`` to the end of ``end``, in the shops' time zone."""
    zone = timezone.get_current_timezone()
    return (
        datetime.combine(start, time.min, tzinfo=zone),
        datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone),
    )


def _money(value) -> Decimal:
    return Decimal(value or 0).quantize(CENT)


def cancelled_part_lines() -> QuerySet[OrderLine]:
    """Lines sold and then refunded whole, unshipped: those of the parts cancelled
    before they left while their order went ahead (a split delivery whose other
    parcels had left), refunded when the part was cancelled
    (``fulfilment__cancelled_at``) at their sold net, VAT and gross, their share of
    the order's discount taken off as it was when sold. A cancelled order's lines
    are not among them: the whole order is refunded when it was cancelled
    (``cancelled_order_totals``)."""
    return OrderLine.objects.filter(fulfilment__cancelled_at__isnull=False).exclude(
        order__status=OrderStatus.CANCELLED
    )


def cancelled_parts_amount(field: str = "line_total") -> Coalesce:
    """An order's cancelled parts' lines summed (``line_total``: gross; ``net`` or
    ``tax``), 0 without any: an expression over ``OuterRef("pk")`` for taking them
    off orders' amounts in the same query."""
    money = DecimalField(max_digits=12, decimal_places=2)
    return Coalesce(
        Subquery(
            cancelled_part_lines()
            .filter(order=OuterRef("pk"))
            .order_by()
            .values("order")
            .annotate(amount=Sum(field))
            .values("amount"),
            output_field=money,
        ),
        Value(Decimal("0.00")),
        output_field=money,
    )


def cancelled_order_totals() -> QuerySet[OrderTaxTotal]:
    """The VAT per rate and class (delivery included) of the orders cancelled
    whole, each with ``cancelled``: when its status history says it was cancelled
    (the order's ``cancelled_at`` for one without that step). The order is refunded
    in full then, as its credit note credits its whole invoice."""
    cancelled_step = (
        OrderStatusChange.objects.filter(
            order=OuterRef("order_id"), to_status=OrderStatus.CANCELLED
        )
        .order_by("-at", "-id")
        .values("at")[:1]
    )
    return OrderTaxTotal.objects.filter(order__status=OrderStatus.CANCELLED).annotate(
        cancelled=Coalesce(
            Subquery(cancelled_step, output_field=DateTimeField()),
            "order__cancelled_at",
            output_field=DateTimeField(),
        )
    )


def seller_grouping(prefix: str = "") -> list[str]:
    """Whose VAT a grouped row holds, never added to another's: the seller who sold
    the order (its name and VAT number, as on its documents: each company files its
    own return) and the country the VAT is due in (``prefix``: the path from the
    grouped row to its order's line). The VAT ledger and the till's Z report group
    by it."""
    return [
        f"{prefix}order__legal_entity__name",
        f"{prefix}order__legal_entity__vat_number",
        f"{prefix}order__tax_country",
    ]


def seller_of(row: dict, prefix: str = "") -> tuple[str, str, str]:
    """A row grouped by ``seller_grouping(prefix)``: its seller ("" for orders sold
    without one on record), the seller's VAT number as printed, and the country."""
    seller, vat_number, country = (row[name] for name in seller_grouping(prefix))
    return seller or "", format_vat_number(vat_number or ""), country


_PER_RATE = ("tax_rate", "tax_class", "order__currency")


def _grouping(prefix: str = "") -> list[str]:
    """What a ledger row is grouped by besides its month: the seller and country
    (``seller_grouping``), then ``tax_rate``, class and currency of the sold line
    or order total (``prefix``: the path to the line)."""
    return [*seller_grouping(prefix), *(f"{prefix}{name}" for name in _PER_RATE)]


def _add(rows: dict[tuple, LedgerRow], grouped, side: str, prefix: str = "") -> None:
    """Rows grouped by month and ``_grouping(prefix)``, added to the ledger's
    ``sales`` or ``refunds``."""
    for row in grouped:
        seller, vat_number, country = seller_of(row, prefix)
        rate, tax_class, currency = (row[f"{prefix}{name}"] for name in _PER_RATE)
        key = (
            seller,
            vat_number,
            row["period"].strftime("%Y-%m"),
            country,
            _money(rate),
            tax_class,
            currency,
        )
        entry = rows.setdefault(key, LedgerRow(*key))
        amounts = [
            total + _money(row[name])
            for total, name in zip(
                getattr(entry, side), ("net", "tax", "gross"), strict=True
            )
        ]
        setattr(entry, side, amounts)


def _per_rate(totals: QuerySet[OrderTaxTotal], moment: str):
    """Orders' VAT per rate and class summed by the month of ``moment``."""
    return (
        totals.annotate(period=TruncMonth(moment), tax_rate=F("rate"))
        .values("period", *_grouping())
        .annotate(net=Sum("net"), tax=Sum("tax"), gross=Sum("gross"))
        .order_by()
    )


def vat_ledger(*, start: date, end: date) -> list[LedgerRow]:
    """The ledger's rows for the days ``start`` to ``end`` (both included), by
    seller, month, country, rate, class and currency: one seller's rows together
    (those sold without a seller on record last), as each files its own return."""
    since, until = _bounds(start, end)
    rows: dict[tuple, LedgerRow] = {}
    sold = OrderTaxTotal.objects.filter(
        order__created_at__gte=since, order__created_at__lt=until
    )
    _add(rows, _per_rate(sold, "order__created_at"), "sales")
    refunded = (
        ReturnLine.objects.filter(
            return_request__refunded_at__gte=since,
            return_request__refunded_at__lt=until,
        )
        .annotate(period=TruncMonth("return_request__refunded_at"))
        .values("period", *_grouping("order_line__"))
        .annotate(net=Sum("net"), tax=Sum("tax"), gross=Sum("amount"))
        .order_by()
    )
    _add(rows, refunded, "refunds", "order_line__")
    cancelled_parts = (
        cancelled_part_lines()
        .filter(fulfilment__cancelled_at__gte=since, fulfilment__cancelled_at__lt=until)
        .annotate(period=TruncMonth("fulfilment__cancelled_at"))
        .values("period", *_grouping())
        .annotate(net=Sum("net"), tax=Sum("tax"), gross=Sum("line_total"))
        .order_by()
    )
    _add(rows, cancelled_parts, "refunds")
    cancelled = cancelled_order_totals().filter(
        cancelled__gte=since, cancelled__lt=until
    )
    _add(rows, _per_rate(cancelled, "cancelled"), "refunds")
    return sorted(
        rows.values(),
        key=lambda r: (
            not r.seller,
            r.seller,
            r.seller_vat_number,
            r.period,
            r.country,
            r.currency,
            -r.rate,
            r.tax_class,
        ),
    )


LEDGER_HEADER = [
    "seller",
    "seller_vat_number",
    "period",
    "country",
    "rate",
    "tax_class",
    "currency",
    "sales_net",
    "sales_vat",
    "sales_gross",
    "refunds_net",
    "refunds_vat",
    "refunds_gross",
    "net",
    "vat",
    "gross",
]


def vat_ledger_csv(rows: list[LedgerRow]) -> str:
    """The ledger as CSV, one line per row, amounts with two decimals."""
    out = io.StringIO()
    writer = SafeWriter(out)
    writer.writerow(LEDGER_HEADER)
    for row in rows:
        writer.writerow(
            [
                row.seller,
                row.seller_vat_number,
                row.period,
                row.country,
                f"{row.rate:.2f}",
                row.tax_class,
                row.currency,
                *row.sales,
                *row.refunds,
                row.net,
                row.tax,
                row.gross,
            ]
        )
    return out.getvalue()
