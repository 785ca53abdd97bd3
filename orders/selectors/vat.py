"""The VAT ledger for the accountant: per month, country, rate and currency, the
net, VAT and gross sold and refunded.

Sales are counted in the month the order was placed (cancelled orders are left
out), from each order's VAT per rate and class (its lines' and its delivery's),
refunds in the month they were paid back, at the rate and in the country of
the line they return (as sold, never today's rate). Amounts of different currencies
are never added up: the currency is part of every row's key. Two grouped queries
whatever the volume.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from orders.models import OrderStatus, OrderTaxTotal, ReturnLine

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
    for row in refunded:
        key = (
            row["period"].strftime("%Y-%m"),
            row["order_line__order__tax_country"],
            _money(row["order_line__tax_rate"]),
            row["order_line__tax_class"],
            row["order_line__order__currency"],
        )
        entry = rows.setdefault(key, LedgerRow(*key))
        entry.refunds = [_money(row["net"]), _money(row["tax"]), _money(row["gross"])]
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
    writer = csv.writer(out)
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
