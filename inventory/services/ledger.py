"""The ledger every stock change writes, and the checks shared by every change.

Rules kept by the stock services:
- a level changes only by a single ``UPDATE ... SET x = x + delta`` guarded by a ``WHERE``
  that keeps the invariant (``available >= qty``), so concurrent requests can never oversell;
- rows of several lines are touched in (location_id, variant_id) order to avoid deadlocks;
- a request for several lines is checked line by line and refused as a whole, naming every
  short line in one ``InsufficientStock``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import transaction

from omnistore.core import webhooks
from omnistore.core.db import insert_rows
from omnistore.core.exceptions import ValidationFailed

from ..models import StockLevel, StockMovement, Variant
from ..signals import stock_changed


@dataclass(frozen=True)
class StockRequest:
    variant_id: int
    location_id: int
    quantity: int


def positive_quantity(quantity, field: str = "quantity") -> int:
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity <= 0:
        raise ValidationFailed(
            "Quantity must be a positive whole number.",
            extra={field: ["Must be a positive whole number."]},
        )
    return quantity


def merge_requests(requests: Iterable[StockRequest]) -> list[StockRequest]:
    """Sum duplicates and sort in lock order."""
    totals: dict[tuple[int, int], int] = defaultdict(int)
    for req in requests:
        positive_quantity(req.quantity)
        totals[(req.location_id, req.variant_id)] += req.quantity
    return [
        StockRequest(variant_id=v, location_id=loc, quantity=q)
        for (loc, v), q in sorted(totals.items())
    ]


def ensure_levels(pairs: Iterable[tuple[int, int]]) -> None:
    """Create missing (variant, location) rows so guarded UPDATEs have a row to hit.

    Rows are inserted in lock order (location_id, variant_id): a concurrent insert of
    the same key waits for the first one, so two requests inserting the same new rows
    in opposite orders would deadlock.
    """
    pairs = sorted({(loc, v) for v, loc in pairs})
    if not pairs:
        return
    StockLevel.objects.bulk_create(
        [StockLevel(variant_id=v, location_id=loc) for loc, v in pairs],
        ignore_conflicts=True,
    )


def _announce(pairs: Iterable[tuple[int, int]]) -> None:
    changes = sorted(set(pairs))
    if not changes:
        return
    transaction.on_commit(
        lambda: stock_changed.send(sender=StockLevel, changes=changes)
    )


def record_movements(
    rows: list[StockMovement], *, still_available: frozenset = frozenset()
) -> None:
    """Write ledger rows and tell listeners and subscribers which levels moved.

    ``still_available`` names (variant, location) pairs a hold took units from while
    leaving units free there (beyond the safety stock): such a change cannot bring an
    item back nor empty a location, so ``stock_changed`` leaves them out (its
    listener, back in stock, follows only what can start or end availability)."""
    insert_rows(rows)
    _announce(
        pair
        for pair in ((m.variant_id, m.location_id) for m in rows)
        if pair not in still_available
    )
    webhooks.emit(
        "stock.changed",
        {
            "movements": [
                {
                    "variant_id": m.variant_id,
                    "location_id": m.location_id,
                    "delta_on_hand": m.delta_on_hand,
                    "delta_reserved": m.delta_reserved,
                    "reason": m.reason,
                    "reference_type": m.reference_type,
                    "reference_id": m.reference_id,
                }
                for m in rows
            ]
        },
    )


def shortages(
    requests: Sequence[StockRequest], *, keep_safety: bool = False
) -> list[dict]:
    """Each short line with the units it could have had: ``available`` is what is
    on hand and not held, less the safety stock when the hold keeps it (``free``)."""
    variant_ids = {r.variant_id for r in requests}
    location_ids = {r.location_id for r in requests}
    levels = {
        (lvl.variant_id, lvl.location_id): lvl.free if keep_safety else lvl.available
        for lvl in StockLevel.objects.filter(
            variant_id__in=variant_ids, location_id__in=location_ids
        )
    }
    skus = dict(Variant.objects.filter(id__in=variant_ids).values_list("id", "sku"))
    return [
        {
            "variant_id": r.variant_id,
            "sku": skus.get(r.variant_id),
            "location_id": r.location_id,
            "requested": r.quantity,
            "available": max(levels.get((r.variant_id, r.location_id), 0), 0),
        }
        for r in requests
    ]


# --- receipts, adjustments, counts -------------------------------------------------
