"""On-hand stock changes: goods received, adjustments with a reason, physical counts."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from omnistore.core.exceptions import ValidationFailed

from ..models import Location, MovementReason, StockLevel, StockMovement, Variant
from .ledger import ensure_levels, positive_quantity, record_movements

ADJUSTMENT_REASONS = {MovementReason.ADJUSTMENT, MovementReason.DAMAGE}


@transaction.atomic
def receive_stock(
    *,
    variant: Variant,
    location: Location,
    quantity: int,
    actor=None,
    reason: str = MovementReason.RECEIPT,
    reference_type: str = "",
    reference_id: str = "",
    note: str = "",
) -> StockLevel:
    """Goods arrive at a location (supplier delivery, transfer in, restocked return)."""
    positive_quantity(quantity)
    ensure_levels([(variant.pk, location.pk)])
    StockLevel.objects.filter(variant=variant, location=location).update(
        on_hand=F("on_hand") + quantity, updated_at=timezone.now()
    )
    record_movements(
        [
            StockMovement(
                variant=variant,
                location=location,
                delta_on_hand=quantity,
                reason=reason,
                reference_type=reference_type,
                reference_id=str(reference_id),
                note=note,
                actor=actor,
            )
        ]
    )
    return StockLevel.objects.get(variant=variant, location=location)


@transaction.atomic
def adjust_stock(
    *,
    variant: Variant,
    location: Location,
    delta: int,
    reason: str = MovementReason.ADJUSTMENT,
    note: str,
    actor=None,
) -> StockLevel:
    """Correct on-hand stock by ``delta`` (damage, loss, found goods), with a reason."""
    errors = {}
    if not isinstance(delta, int) or isinstance(delta, bool) or delta == 0:
        errors["delta"] = ["Must be a whole number other than zero."]
    if reason not in ADJUSTMENT_REASONS:
        errors["reason"] = [f"Must be one of: {', '.join(sorted(ADJUSTMENT_REASONS))}."]
    if not (note or "").strip():
        errors["note"] = ["Say why the stock is adjusted."]
    if errors:
        raise ValidationFailed("The adjustment is not valid.", extra=errors)
    ensure_levels([(variant.pk, location.pk)])
    levels = StockLevel.objects.filter(variant=variant, location=location)
    if delta < 0:
        # Stock held for customers cannot be written off: keep on_hand - reserved >= -delta.
        levels = levels.filter(on_hand__gte=F("reserved") - delta)
    if not levels.update(on_hand=F("on_hand") + delta, updated_at=timezone.now()):
        available = StockLevel.objects.get(variant=variant, location=location).available
        raise ValidationFailed(
            f"Only {available} unreserved units of {variant.sku} here; cannot remove {-delta}.",
            extra={"delta": [f"At most {available} units can be removed."]},
        )
    record_movements(
        [
            StockMovement(
                variant=variant,
                location=location,
                delta_on_hand=delta,
                reason=reason,
                reference_type="adjustment",
                note=note.strip(),
                actor=actor,
            )
        ]
    )
    return StockLevel.objects.get(variant=variant, location=location)


@transaction.atomic
def count_stock(
    *, variant: Variant, location: Location, counted: int, actor=None, note: str = ""
) -> StockLevel:
    """Record a physical count: on_hand becomes ``counted``, the difference is ledgered."""
    if not isinstance(counted, int) or isinstance(counted, bool) or counted < 0:
        raise ValidationFailed(
            "The count must be zero or more.",
            extra={"counted": ["Must be zero or more."]},
        )
    ensure_levels([(variant.pk, location.pk)])
    level = StockLevel.objects.select_for_update().get(
        variant=variant, location=location
    )
    if counted < level.reserved:
        raise ValidationFailed(
            f"{level.reserved} units are reserved for customers; the count cannot be lower.",
            extra={"counted": [f"At least {level.reserved} (reserved units)."]},
        )
    delta = counted - level.on_hand
    level.on_hand = counted
    level.save(update_fields=["on_hand", "updated_at"])
    record_movements(
        [
            StockMovement(
                variant=variant,
                location=location,
                delta_on_hand=delta,
                reason=MovementReason.COUNT,
                reference_type="count",
                note=note or f"counted {counted}",
                actor=actor,
            )
        ]
    )
    return level
