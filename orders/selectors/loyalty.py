"""A customer's kept spend and loyalty tier, computed when read.

Kept spend is what a customer's orders of the tier window cost, in every channel,
less what their returns refunded and the lines of their parts cancelled before they
left (a split delivery's parcels not shipped); a cancelled order counts for nothing.
Reading it (one aggregate query for any number of customers) rather than storing it
keeps it right without a job: an order leaving the window, a return refunded, a part
or an order cancelled show at once. The tier rules themselves live in
``customers.selectors.loyalty``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from django.db.models import DecimalField, F, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from customers.models import Customer
from customers.selectors.loyalty import (
    LoyaltyStanding,
    Tier,
    loyalty_standing,
    loyalty_tiers,
    spend_in_home_currency,
    tier_for_spend,
    tier_window_start,
)
from orders.models import Order, OrderStatus, Return
from orders.selectors.giftcards import cards_sold_amount
from orders.selectors.vat import cancelled_parts_amount

MONEY = DecimalField(max_digits=14, decimal_places=2)


def kept_spend(
    customer_ids: Iterable[int], *, now: datetime | None = None
) -> dict[int, Decimal]:
    """Each customer's kept spend over the tier window (goods: delivery fees and gift
    cards bought do not count, the goods a card pays for do; nor do goods returned
    or never sent), in the home currency (see ``spend_in_home_currency``),
    in one query; a customer without orders is 0."""
    ids = {int(pk) for pk in customer_ids}
    if not ids:
        return {}
    since = tier_window_start(now or timezone.now())
    refunded = (
        Return.objects.filter(order=OuterRef("pk"))
        .order_by()
        .values("order")
        .annotate(amount=Sum("refund_total"))
        .values("amount")
    )
    rows = (
        Order.objects.filter(customer_id__in=ids, created_at__gte=since)
        .exclude(status=OrderStatus.CANCELLED)
        .order_by()
        .values("customer_id", "currency")
        .annotate(
            kept=Sum(
                F("total")
                - F("delivery_fee")
                - Coalesce(Subquery(refunded), Value(Decimal("0")), output_field=MONEY)
                - cards_sold_amount()
                - cancelled_parts_amount(),
                output_field=MONEY,
            )
        )
    )
    by_customer: dict[int, dict[str, Decimal]] = {pk: {} for pk in ids}
    for row in rows:
        by_customer[row["customer_id"]][row["currency"]] = row["kept"] or Decimal("0")
    return {pk: spend_in_home_currency(amounts) for pk, amounts in by_customer.items()}


def customer_tiers(
    customer_ids: Iterable[int], *, now: datetime | None = None
) -> dict[int, Tier]:
    """Each customer's tier now, in one query (earning points in a batch)."""
    tiers = loyalty_tiers()
    return {
        pk: tier_for_spend(spend, tiers)
        for pk, spend in kept_spend(customer_ids, now=now).items()
    }


def customer_standing(
    customer: Customer, *, now: datetime | None = None
) -> LoyaltyStanding:
    """The customer's tier, kept spend, progress and points, in one query."""
    now = now or timezone.now()
    spend = kept_spend([customer.pk], now=now)[customer.pk]
    return loyalty_standing(customer, spend=spend, since=tier_window_start(now))
