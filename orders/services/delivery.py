"""Deliveries nobody marked delivered: taken as delivered some days after they
shipped.

Staff mark a parcel delivered when the customer or the carrier says so
(``fulfilment.mark_delivered``). A parcel nobody says anything about is taken as
delivered ``OMNISTORE_PRESUME_DELIVERED_DAYS`` after it shipped, by a periodic task:
its points can then be spent and its return window counts from that day.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from orders.models import FulfilmentMethod, Order, OrderStatus

from .fulfilment import mark_delivered

logger = logging.getLogger(__name__)

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
        Order.objects.select_for_update(skip_locked=True)
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
