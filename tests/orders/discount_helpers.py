"""Discount codes for the orders tests, made through the real service."""

from __future__ import annotations

from decimal import Decimal

from orders.services.discounts import create_discount_code


def discount_code(code: str = "SPRING10", kind: str = "percentage", value="10", **kw):
    return create_discount_code(code=code, kind=kind, value=Decimal(str(value)), **kw)
