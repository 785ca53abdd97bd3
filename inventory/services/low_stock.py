"""Low stock told to the shop: a sweep (beat, every few minutes) opens a notice for
each level found at or under its threshold that has none open, and resolves the open
notices of levels found above it again; the shop's staff mark them seen.

A sweep reads the levels as they are, away from the checkout's transaction, so selling
the last units costs the sale nothing. It starts from the ledger: the levels units
left (a sale, a hold, a shipment, damage, a count) within ``WINDOW`` and now at or
under their threshold. An item a shop never stocked, or low since long before, is no
news; a threshold raised in the admin is news for a level units left within the
window (the Low stock page lists any level at or under its threshold at once).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from omnistore.core import webhooks
from omnistore.core.db import insert_rows

from ..models import Location, LowStockNotice, StockLevel, StockMovement
from ..selectors import VARIANT_ON_SALE, variant_on_sale

WINDOW = timedelta(days=1)  # a sweep missed for up to a day still notices
SWEEP_LIMIT = 2000  # notices opened per sweep at most; the next sweep takes the rest


@dataclass(frozen=True)
class Sweep:
    opened: list[LowStockNotice]
    resolved: int


@transaction.atomic
def sweep_low_stock(*, now: datetime | None = None) -> Sweep:
    """Resolve the notices of levels no longer low (or of items no longer sold,
    and of locations no longer active), then open one for each level newly low; a
    ``stock.low`` event names the levels noticed."""
    now = now or timezone.now()
    resolved = (
        LowStockNotice.objects.filter(resolved_at__isnull=True)
        .alias(units=F("level__on_hand") - F("level__reserved"))
        .filter(
            Q(units__gt=F("level__low_stock_threshold"))
            | ~variant_on_sale("level__variant")
            | Q(level__location__active=False)
        )
        .update(resolved_at=now)
    )
    rows = {row["pk"]: row for row in _newly_low(now)[:SWEEP_LIMIT]}
    opened = insert_rows(
        [
            LowStockNotice(
                level_id=pk,
                available=row["on_hand"] - row["reserved"],
                threshold=row["low_stock_threshold"],
                noticed_at=now,
            )
            for pk, row in rows.items()
        ],
        ignore_duplicates=True,
        key=("level",),
    )
    if opened:
        webhooks.emit(
            "stock.low",
            {
                "levels": [
                    {
                        "variant_id": rows[n.level_id]["variant_id"],
                        "sku": rows[n.level_id]["variant__sku"],
                        "location_id": rows[n.level_id]["location_id"],
                        "location": rows[n.level_id]["location__code"],
                        "available": n.available,
                        "threshold": n.threshold,
                        "noticed_at": n.noticed_at,
                    }
                    for n in opened
                ]
            },
        )
    return Sweep(opened=opened, resolved=resolved)


def _newly_low(now: datetime):
    """Levels units left within the window, at or under their threshold now, with no
    open notice (items still sold, at active locations), emptiest first."""
    taken = StockMovement.objects.filter(
        Q(delta_on_hand__lt=0) | Q(delta_reserved__gt=0),
        created_at__gte=now - WINDOW,
        variant=OuterRef("variant"),
        location=OuterRef("location"),
    )
    return (
        StockLevel.objects.alias(
            units=F("on_hand") - F("reserved"),
            taken=Exists(taken),
            open=Exists(
                LowStockNotice.objects.filter(level=OuterRef("pk"), resolved_at=None)
            ),
        )
        .filter(
            VARIANT_ON_SALE,
            taken=True,
            units__lte=F("low_stock_threshold"),
            open=False,
            location__active=True,
        )
        .order_by("on_hand", "pk")
        .values(
            "pk",
            "on_hand",
            "reserved",
            "low_stock_threshold",
            "variant_id",
            "variant__sku",
            "location_id",
            "location__code",
        )
    )


@transaction.atomic
def mark_low_stock_seen(*, location: Location, actor, noticed_until: datetime) -> int:
    """The location's open notices not seen yet and noticed up to ``noticed_until``
    (what the associate's page showed), marked seen by ``actor``; returns how many."""
    return LowStockNotice.objects.filter(
        level__location=location,
        resolved_at__isnull=True,
        seen_at__isnull=True,
        noticed_at__lte=noticed_until,
    ).update(seen_at=timezone.now(), seen_by=actor)
