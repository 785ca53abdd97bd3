"""A customer's kept spend and loyalty tier, computed when read.

Kept spend is what a customer's orders of the tier window cost, in every channel,
once they can no longer be cancelled (their goods handed over or shipped), less what
their returns refunded and the lines of their parts cancelled before they left (a
split delivery's parcels not shipped); a cancelled order counts for nothing, nor does
one still waiting to be picked, shipped or collected: placing a large order and
cancelling it must not lend its tier to the orders placed in between. Reading it (one
aggregate query for any number of customers) rather than storing it keeps it right
without a job: an order leaving the window or handed over, a return refunded, a part
or an order cancelled show at once. The tier rules themselves live in
``customers.selectors.loyalty``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from django.db.models import (
    Case,
    DecimalField,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
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
from orders.models import CANCELLABLE_STATUSES, Order, OrderStatus, Return
from orders.selectors.giftcards import cards_sold_amount
from orders.selectors.vat import cancelled_parts_amount

MONEY = DecimalField(max_digits=14, decimal_places=2)


def _spend(
    customer_ids: set[int], *, now: datetime | None, earning: Iterable[int] = ()
) -> tuple[dict[int, Decimal], dict[int, Decimal]]:
    """Each customer's kept spend, and the spend of each order of ``earning`` (ids)
    still cancellable, which kept spend leaves out, in the home currency (see
    ``spend_in_home_currency``), in one query. Goods only: delivery fees and gift
    cards bought do not count, the goods a card pays for do; nor do goods returned
    or never sent."""
    since = tier_window_start(now or timezone.now())
    refunded = (
        Return.objects.filter(order=OuterRef("pk"))
        .order_by()
        .values("order")
        .annotate(amount=Sum("refund_total"))
        .values("amount")
    )
    kept = ~Q(status__in=CANCELLABLE_STATUSES)
    own = Value(None, output_field=IntegerField())
    if earning := set(earning):
        kept |= Q(pk__in=earning)
        own = Case(
            When(status__in=CANCELLABLE_STATUSES, then=F("pk")),
            default=own,
            output_field=IntegerField(),
        )
    rows = (
        Order.objects.filter(customer_id__in=customer_ids, created_at__gte=since)
        .exclude(status=OrderStatus.CANCELLED)
        .filter(kept)
        .order_by()
        .values("customer_id", "currency", own=own)
        .annotate(
            amount=Sum(
                F("total")
                - F("delivery_fee")
                - Coalesce(Subquery(refunded), Value(Decimal("0")), output_field=MONEY)
                - cards_sold_amount()
                - cancelled_parts_amount(),
                output_field=MONEY,
            )
        )
    )
    by_customer: dict[int, dict[str, Decimal]] = {pk: {} for pk in customer_ids}
    by_order: dict[int, Decimal] = {}
    for row in rows:
        amount = row["amount"] or Decimal("0")
        if row["own"] is not None:
            by_order[row["own"]] = spend_in_home_currency({row["currency"]: amount})
        else:
            by_customer[row["customer_id"]][row["currency"]] = amount
    spend = {pk: spend_in_home_currency(by) for pk, by in by_customer.items()}
    return spend, by_order


def kept_spend(
    customer_ids: Iterable[int], *, now: datetime | None = None
) -> dict[int, Decimal]:
    """Each customer's kept spend over the tier window (orders that can no longer be
    cancelled), in the home currency, in one query; a customer without such orders
    is 0."""
    ids = {int(pk) for pk in customer_ids}
    if not ids:
        return {}
    return _spend(ids, now=now)[0]


def customer_tiers(
    customer_ids: Iterable[int], *, now: datetime | None = None
) -> dict[int, Tier]:
    """Each customer's tier now, in one query (free delivery at checkout)."""
    tiers = loyalty_tiers()
    return {
        pk: tier_for_spend(spend, tiers)
        for pk, spend in kept_spend(customer_ids, now=now).items()
    }


def earning_tiers(
    orders: Iterable[Order], *, now: datetime | None = None
) -> dict[int, Tier]:
    """The tier each order (with a customer) earns its points at, by order id, in one
    query: its customer's kept spend with the order's own spend counted, even while
    it may still be cancelled (the order that reaches a tier earns at its
    multiplier; cancelling it takes all its points back). The customer's other
    orders still cancellable do not count."""
    orders = [order for order in orders if order.customer_id is not None]
    if not orders:
        return {}
    tiers = loyalty_tiers()
    spend, own = _spend(
        {order.customer_id for order in orders},
        now=now,
        earning={order.pk for order in orders},
    )
    return {
        order.pk: tier_for_spend(
            spend[order.customer_id] + own.get(order.pk, Decimal("0")), tiers
        )
        for order in orders
    }


def customer_standing(
    customer: Customer, *, now: datetime | None = None
) -> LoyaltyStanding:
    """The customer's tier, kept spend, progress and points, in one query."""
    now = now or timezone.now()
    spend = kept_spend([customer.pk], now=now)[customer.pk]
    return loyalty_standing(customer, spend=spend, since=tier_window_start(now))
