"""Loyalty tiers and the points' worth: the tiers read from settings, which one a
spend reaches, what a balance pays, and a customer's standing to show.

The spend itself comes from the orders (``orders.selectors.loyalty``): this module
only turns an amount in the home currency into a standing, so the rule for a tier
has one home, whoever asks (checkout, points, the 360° page, ``/me/loyalty/``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_DOWN, Decimal

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import QuerySet

from customers.models import Customer, LoyaltyTransaction

CENT = Decimal("0.01")


@dataclass(frozen=True)
class Tier:
    """A loyalty tier: reached with ``min_spend`` (home currency) kept over the
    window; its points ``multiplier`` and whether its deliveries are free."""

    name: str
    min_spend: Decimal
    multiplier: Decimal
    free_delivery: bool


def loyalty_tiers() -> list[Tier]:
    """The tiers of ``OMNISTORE_LOYALTY_TIERS``, lowest first. Refused when the
    lowest does not start at 0 (every customer has a tier) or a tier is malformed."""
    try:
        tiers = sorted(
            (
                Tier(
                    name=str(row["name"]),
                    min_spend=Decimal(str(row["min_spend"])).quantize(CENT),
                    multiplier=Decimal(str(row.get("multiplier", "1"))),
                    free_delivery=bool(row.get("free_delivery", False)),
                )
                for row in settings.OMNISTORE_LOYALTY_TIERS
            ),
            key=lambda tier: tier.min_spend,
        )
    except (KeyError, TypeError, ArithmeticError) as error:
        raise ImproperlyConfigured(f"OMNISTORE_LOYALTY_TIERS: {error!r}") from None
    if not tiers or tiers[0].min_spend != 0 or any(t.multiplier < 0 for t in tiers):
        raise ImproperlyConfigured(
            "OMNISTORE_LOYALTY_TIERS: the lowest tier starts at 0 and no multiplier "
            "is negative."
        )
    return tiers


def tier_for_spend(spend: Decimal, tiers: list[Tier] | None = None) -> Tier:
    """The highest tier whose minimum ``spend`` reaches (the boundary included)."""
    tiers = tiers if tiers is not None else loyalty_tiers()
    reached = tiers[0]
    for tier in tiers:
        if spend >= tier.min_spend:
            reached = tier
    return reached


def tier_window_start(now: datetime) -> datetime:
    """The start of the spend window: ``OMNISTORE_LOYALTY_TIER_MONTHS`` calendar
    months before ``now`` (a day missing in that month falls back to its last)."""
    months = int(settings.OMNISTORE_LOYALTY_TIER_MONTHS)
    index = now.year * 12 + now.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    day = now.day
    while True:
        try:
            return now.replace(year=year, month=month, day=day)
        except ValueError:
            day -= 1


def spend_in_home_currency(by_currency: Mapping[str, Decimal]) -> Decimal:
    """Spend in several currencies as one amount in ``OMNISTORE_CURRENCY``, each
    other currency at its fixed rate in ``OMNISTORE_LOYALTY_SPEND_RATES`` (one
    without a rate does not count); never below zero."""
    home = settings.OMNISTORE_CURRENCY
    rates = settings.OMNISTORE_LOYALTY_SPEND_RATES
    total = Decimal("0")
    for currency, amount in by_currency.items():
        if currency == home:
            total += Decimal(amount)
        elif currency in rates:
            total += Decimal(amount) * Decimal(str(rates[currency]))
    return max(total, Decimal("0")).quantize(CENT)


def points_value(points: int) -> Decimal:
    """What ``points`` pay, in units of currency: ``OMNISTORE_LOYALTY_POINTS_PER_
    REDEEMED_UNIT`` points pay one, to the cent below (a fraction of a cent is
    never promised)."""
    per_unit = Decimal(settings.OMNISTORE_LOYALTY_POINTS_PER_REDEEMED_UNIT)
    return (Decimal(max(points, 0)) / per_unit).quantize(CENT, rounding=ROUND_DOWN)


@dataclass(frozen=True)
class LoyaltyStanding:
    """Where a customer stands: tier, spend kept since ``since`` and what is left to
    the next tier (None at the top), points and their worth in ``currency``."""

    tier: Tier
    next_tier: Tier | None
    spend: Decimal
    to_next_tier: Decimal | None
    progress_percent: int
    since: datetime
    points_balance: int
    points_value: Decimal
    currency: str


def loyalty_standing(
    customer: Customer, *, spend: Decimal, since: datetime
) -> LoyaltyStanding:
    """The standing of ``customer`` with ``spend`` kept since ``since`` (no query)."""
    tiers = loyalty_tiers()
    tier = tier_for_spend(spend, tiers)
    above = [t for t in tiers if t.min_spend > tier.min_spend]
    upcoming = above[0] if above else None
    to_next, progress = None, 100
    if upcoming is not None:
        to_next = (upcoming.min_spend - spend).quantize(CENT)
        span = upcoming.min_spend - tier.min_spend
        progress = min(int((spend - tier.min_spend) * 100 / span), 99)
    return LoyaltyStanding(
        tier=tier,
        next_tier=upcoming,
        spend=spend,
        to_next_tier=to_next,
        progress_percent=progress,
        since=since,
        points_balance=customer.points_balance,
        points_value=points_value(customer.points_balance),
        currency=settings.OMNISTORE_CURRENCY,
    )


def points_ledger(customer: Customer) -> QuerySet[LoyaltyTransaction]:
    """The customer's points ledger, newest first."""
    return LoyaltyTransaction.objects.filter(customer=customer).order_by(
        "-created_at", "-id"
    )
