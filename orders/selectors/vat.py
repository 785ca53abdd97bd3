"""The VAT ledger for the accountant: per month, country, rate and currency, the
net, VAT and gross sold and refunded.

Sales are counted in the month the order was placed (cancelled orders are left
out), from each order's VAT per rate and class (its lines' and its delivery's),
refunds in the month they were paid back, at the rate and in the country of
the line they return (as sold, never today's rate): returns' lines, and the lines of
a split delivery's parts cancelled before they left (``cancelled_part_lines``), whole
at their sold amounts in the month of the cancellation, as their credit note says.
Amounts of different currencies are never added up: the currency is part of every
row's key. Three grouped queries whatever the volume.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import DecimalField, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from omnistore.core.spreadsheet import SafeWriter
from orders.models import OrderLine, OrderStatus, OrderTaxTotal, ReturnLine

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


@dataclass
class LedgerRow:
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
    are not among them: that order was never a sale."""
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


def _add_refunds(rows: dict[tuple, LedgerRow], refunded, prefix: str) -> None:
    """Refund rows grouped by month and by the sold line's country, rate, class and
    currency (``prefix``: the path to the line), added to the ledger's rows."""
    for row in refunded:
        key = (
            row["period"].strftime("%Y-%m"),
            row[f"{prefix}order__tax_country"],
            _money(row[f"{prefix}tax_rate"]),
            row[f"{prefix}tax_class"],
            row[f"{prefix}order__currency"],
        )
        entry = rows.setdefault(key, LedgerRow(*key))
        entry.refunds = [
            total + _money(row[name])
            for total, name in zip(entry.refunds, ("net", "tax", "gross"), strict=True)
        ]


def vat_ledger(*, start: date, end: date) -> list[LedgerRow]:
    """The ledger's rows for the days ``start`` to ``end`` (both included), by month,
    country, rate, class and currency."""
    since, until = _bounds(start, end)
    rows: dict[tuple, LedgerRow] = {}
    sold = (
        OrderTaxTotal.objects.filter(
            order__created_at__gte=since, order__created_at__lt=until
        )
        .exclude(order__status=OrderStatus.CANCELLED)
        .annotate(period=TruncMonth("order__created_at"))
        .values("period", "order__tax_country", "rate", "tax_class", "order__currency")
        .annotate(net=Sum("net"), tax=Sum("tax"), gross=Sum("gross"))
        .order_by()
    )
    for row in sold:
        key = (
            row["period"].strftime("%Y-%m"),
            row["order__tax_country"],
            _money(row["rate"]),
            row["tax_class"],
            row["order__currency"],
        )
        entry = rows.setdefault(key, LedgerRow(*key))
        entry.sales = [_money(row["net"]), _money(row["tax"]), _money(row["gross"])]
    refunded = (
        ReturnLine.objects.filter(
            return_request__refunded_at__gte=since,
            return_request__refunded_at__lt=until,
        )
        .annotate(period=TruncMonth("return_request__refunded_at"))
        .values(
            "period",
            "order_line__order__tax_country",
            "order_line__tax_rate",
            "order_line__tax_class",
            "order_line__order__currency",
        )
        .annotate(net=Sum("net"), tax=Sum("tax"), gross=Sum("amount"))
        .order_by()
    )
    _add_refunds(rows, refunded, "order_line__")
    cancelled = (
        cancelled_part_lines()
        .filter(fulfilment__cancelled_at__gte=since, fulfilment__cancelled_at__lt=until)
        .annotate(period=TruncMonth("fulfilment__cancelled_at"))
        .values(
            "period", "order__tax_country", "tax_rate", "tax_class", "order__currency"
        )
        .annotate(net=Sum("net"), tax=Sum("tax"), gross=Sum("line_total"))
        .order_by()
    )
    _add_refunds(rows, cancelled, "")
    return sorted(
        rows.values(),
        key=lambda r: (r.period, r.country, r.currency, -r.rate, r.tax_class),
    )


LEDGER_HEADER = [
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
