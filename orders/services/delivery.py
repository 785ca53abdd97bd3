"""Deliveries: what one costs a sale, and the ones nobody marked delivered.

An order delivered home pays its market's delivery fee whoever takes it (the website,
the app, a shop's endless aisle or the phone line): ``sale_delivery_fee`` is the one
rule checkout charges and a staff sale's basket shows before payment.

Staff mark a parcel delivered when the customer or the carrier says so
(``fulfilment.mark_delivered``). A parcel nobody says anything about is taken as
delivered ``OMNISTORE_PRESUME_DELIVERED_DAYS`` after it shipped, by a periodic task:
its points can then be spent and its return window counts from that day.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from customers.models import Customer, IdentityKind
from customers.services.matching import reached_by
from omnistore.core.actors import acting_user
from omnistore.core.exceptions import ValidationFailed
from orders.models import FulfilmentMethod, Order, OrderStatus
from orders.pricing import ZERO
from orders.selectors.taxes import SaleTerms, delivery_fee, sale_terms

from .fulfilment import mark_delivered

logger = logging.getLogger(__name__)


def sale_delivery_fee(
    terms: SaleTerms,
    *,
    method: str,
    goods: Decimal,
    buyer: Callable[[], Customer | None] = lambda: None,
) -> Decimal:
    """What a sale on ``terms`` pays for delivery: delivered home, its market's fee
    by ``delivery_fee``'s rule (none from the market's threshold of ``goods`` after
    discounts, none for a ``buyer`` whose loyalty tier travels free), whichever
    channel took it, so a parcel costs the customer the same by phone, in a shop or
    online; collected at a shop or taken now, nothing."""
    if method != FulfilmentMethod.DELIVERY:
        return ZERO
    return delivery_fee(terms, goods=goods, customer=buyer)


def attached_buyer(
    *, staff, loyalty_number: str = "", email: str = "", phone: str = ""
) -> Customer | None:
    """The profile the identity ``staff`` attached to their sale reaches (the
    strongest one given), as checkout's own match finds it: a customer known at
    the counter or on the phone travels as free as one signed in online. None
    without staff: a guest's typed email proves nothing. Reads only."""
    if acting_user(staff) is None:
        return None
    for kind, value in (
        (IdentityKind.LOYALTY, loyalty_number),
        (IdentityKind.EMAIL, email),
        (IdentityKind.PHONE, phone),
    ):
        if value and value.strip():
            return reached_by(kind, value.strip())[0]
    return None


def delivery_buyer(customer, staff, loyalty_number, email, phone):
    """Who a checkout's delivery tier is asked of: the signed-in customer, else the
    profile staff attached to their sale (read only if the fee depends on it)."""
    return lambda: (
        customer
        or attached_buyer(
            staff=staff, loyalty_number=loyalty_number, email=email, phone=phone
        )
    )


def delivery_fee_to(
    country: str,
    *,
    goods: Decimal,
    currency: str,
    on: date,
    buyer: Callable[[], Customer | None] = lambda: None,
) -> Decimal | None:
    """The fee a delivery to ``country`` pays for ``goods``, shown before payment:
    ``sale_delivery_fee`` on the terms of that country's market. None when no market
    sells there, or sells in another ``currency`` than the basket's: checkout
    refuses that delivery and says why."""
    try:
        terms = sale_terms(variants=(), on=on, destination=country)
    except ValidationFailed:
        return None
    if terms.currency != currency:
        return None
    return sale_delivery_fee(
        terms, method=FulfilmentMethod.DELIVERY, goods=goods, buyer=buyer
    )


# Orders read at a time: a backlog (beat down for days) is worked through in batches.
PRESUME_BATCH = 200


def presume_delivered(*, now: datetime | None = None) -> list[str]:
    """Deliveries shipped more than ``OMNISTORE_PRESUME_DELIVERED_DAYS`` ago and
    still shipped become delivered on that day, with no one as the actor and a note
    saying so; the numbers of those moved. One transaction per order, the order
    locked and read again: one delivered (or taken by a concurrent run) meanwhile is
    left alone, so running twice, or twice at once, moves each order once. One that
    fails is logged and stays shipped, for the next run."""
    now = now or timezone.now()
    days = settings.OMNISTORE_PRESUME_DELIVERED_DAYS
    due = Order.objects.filter(
        status=OrderStatus.SHIPPED,
        fulfilment_method=FulfilmentMethod.DELIVERY,
        shipped_at__lt=now - timedelta(days=days),
    ).order_by("pk")
    moved: list[str] = []
    after = 0
    while batch := list(
        due.filter(pk__gt=after).values_list("pk", "number")[:PRESUME_BATCH]
    ):
        for pk, number in batch:
            try:
                if _presume_one(pk, days=days, now=now):
                    moved.append(number)
            except Exception:  # this order only: the others still move
                logger.exception("deliveries: presuming order %s failed", number)
        after = batch[-1][0]
    return moved


@transaction.atomic
def _presume_one(pk: int, *, days: int, now: datetime) -> bool:
    order = (
        Order.objects.select_for_update(skip_locked=True, no_key=True)
        .filter(
            pk=pk,
            status=OrderStatus.SHIPPED,
            shipped_at__lt=now - timedelta(days=days),
        )
        .first()
    )
    if order is None:  # delivered meanwhile, or another run holds it
        return False
    mark_delivered(
        order=order,
        delivered_at=order.shipped_at + timedelta(days=days),
        note=f"Presumed delivered {days} days after shipping",
        now=now,
    )
    return True
