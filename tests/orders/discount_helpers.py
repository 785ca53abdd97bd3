"""Discount codes for the orders tests, made through the real service."""

from __future__ import annotations

from decimal import Decimal

from campaigns.models import Campaign
from orders.services.discounts import create_discount_code


def campaign_id(name: str = "Spring news") -> int:
    """A campaign to give codes out: a code names only a campaign that exists."""
    return Campaign.objects.create(name=name, channels=["email"]).pk


def discount_code(code: str = "SPRING10", kind: str = "percentage", value="10", **kw):
    return create_discount_code(code=code, kind=kind, value=Decimal(str(value)), **kw)
