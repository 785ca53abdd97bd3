"""Managers' admin for the order book, one module per page family; importing them here
registers every model admin when Django autodiscovers ``orders.admin``."""

from orders.admin import (
    carts,
    discounts,
    giftcards,
    invoices,
    orders,
    payments,
    reports,
    returns,
    terminals,
    till,
)

__all__ = [
    "carts",
    "discounts",
    "giftcards",
    "invoices",
    "orders",
    "payments",
    "reports",
    "returns",
    "terminals",
    "till",
]
