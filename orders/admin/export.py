"""The orders CSV export: streamed in chunks, cells a spreadsheet would run as a formula
written as text."""

from __future__ import annotations

from decimal import Decimal

from django.utils import timezone

from orders.selectors.reports import orders_for_export

EXPORT_CHUNK = 2000


def export_rows(queryset):
    """The header, then one row per order, read in chunks of ``EXPORT_CHUNK``."""
    orders = orders_for_export(queryset)
    yield [
        "number",
        "created_at",
        "channel",
        "status",
        "fulfilment",
        "placing_shop",
        "staff_member",
        "customer_id",
        "customer_name",
        "email",
        "phone",
        "units",
        "currency",
        "subtotal",
        "discount",
        "delivery",
        "total",
        "paid",
        "refunded",
        "discount_code",
    ]
    for order in orders.iterator(chunk_size=EXPORT_CHUNK):
        customer = order.customer
        yield [
            order.number,
            timezone.localtime(order.created_at).isoformat(timespec="seconds"),
            order.channel,
            order.status,
            order.fulfilment_method,
            order.placing_location.code if order.placing_location else "",
            order.staff_member.username if order.staff_member else "",
            customer.pk if customer else "",
            customer.full_name if customer else "",
            order.email,
            order.phone,
            order.units,
            order.currency,
            order.subtotal,
            order.discount_total,
            order.delivery_fee,
            order.total,
            _cents(order.paid),
            _cents(order.refunded),
            order.discount_code,
        ]


def _cents(value) -> Decimal:
    return Decimal(value or 0).quantize(Decimal("0.01"))


class Echo:
    """A file that hands back what is written, so ``csv.writer`` yields lines to stream."""

    def write(self, value):
        return value
