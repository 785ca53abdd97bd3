"""On-hand stock changes: goods received, adjustments with a reason, physical counts."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone

from omnistore.accounts.scoping import manages
from omnistore.core.actors import acting_user
from omnistore.core.exceptions import ValidationFailed

from ..models import Location, MovementReason, StockLevel, StockMovement, Variant
from .ledger import ensure_levels, positive_quantity, record_movements

ADJUSTMENT_REASONS = {MovementReason.ADJUSTMENT, MovementReason.DAMAGE}
# Reasons that move units one way only (-1: they only take units away); an
# adjustment (found, lost, mis-scan) goes either way.
ONE_WAY_REASONS = {MovementReason.DAMAGE: -1}
WRONG_WAY = {
    -1: "A write-off only takes units away: enter the units removed with a minus, "
    "e.g. -2.",
}


def wrong_way(reason: str, delta: int) -> str | None:
    """Why ``delta`` goes against its ``reason`` (a write-off that would add units),
    or None when it goes the reason's way."""
    way = ONE_WAY_REASONS.get(reason)
    if way is None or delta * way > 0:
        return None
    return WRONG_WAY[way]


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
    reference_type: str = "adjustment",
    reference_id: str = "",
) -> StockLevel:
    """Correct on-hand stock by ``delta`` (damage, loss, found goods), with a reason;
    a write-off (``damage``) only takes units away. A move that another one causes
    (a returned unit written off) names it (``reference_type``, ``reference_id``), so
    the ledger read by that reference shows both."""
    errors = {}
    if not isinstance(delta, int) or isinstance(delta, bool) or delta == 0:
        errors["delta"] = ["Must be a whole number other than zero."]
    elif message := wrong_way(reason, delta):
        errors["delta"] = [message]
    if reason not in ADJUSTMENT_REASONS:
        errors["reason"] = [f"Must be one of: {', '.join(sorted(ADJUSTMENT_REASONS))}."]
    if not (note or "").strip():
        errors["note"] = ["Say why the stock is adjusted."]
    if errors:
        raise ValidationFailed("The adjustment is not valid.", extra=errors)
    ensure_levels([(variant.pk, location.pk)])
    if delta > 0:
        _check_units_found(variant, location, delta, actor)
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
                reference_type=reference_type,
                reference_id=str(reference_id),
                note=note.strip(),
                actor=actor,
            )
        ]
    )
    return StockLevel.objects.get(variant=variant, location=location)


FOUND_WINDOW = timedelta(hours=24)


def _check_units_found(variant: Variant, location: Location, delta: int, actor) -> None:
    """Units an associate adds by adjustment are stock the shop (and the web, which
    sells a shop's units) will sell: at most ``OMNISTORE_STOCK_ADJUST_UP_MAX`` of one
    item at one location in 24 hours, counting the associates' earlier ones, so the
    limit is not passed in slices. A manager's own adjustment (one who manages the
    location, ``manages``), and a move with no one behind it, are not limited, nor
    do they use up the associates' allowance; goods delivered are received, a shelf
    is counted. The level's row is locked first, so two adjustments at once see
    each other."""
    limit = settings.OMNISTORE_STOCK_ADJUST_UP_MAX
    if limit is None or not _found_limited(acting_user(actor), location):
        return
    StockLevel.objects.select_for_update(no_key=True).filter(
        variant=variant, location=location
    ).first()
    by_actor = (
        StockMovement.objects.filter(
            variant=variant,
            location=location,
            reference_type="adjustment",
            delta_on_hand__gt=0,
            created_at__gte=timezone.now() - FOUND_WINDOW,
            actor__isnull=False,
        )
        .values("actor")
        .annotate(units=Sum("delta_on_hand"))
        .values_list("actor", "units")
    )
    units = dict(by_actor)
    people = get_user_model().objects.filter(pk__in=list(units))
    added = sum(units[user.pk] for user in people if _found_limited(user, location))
    room = max(limit - added, 0)
    if delta > room:
        raise ValidationFailed(
            f"An associate adds at most {limit} units of {variant.sku} here in 24 "
            f"hours ({added} added already): a store manager books more, or receive "
            "the delivery, or count the shelf.",
            code="adjustment_above_limit",
            extra={"delta": [f"At most {room} units can be added."]},
        )


def _found_limited(user, location: Location) -> bool:
    """Whether units ``user`` adds here by adjustment count against the limit:
    anyone's but a manager's of the location, and a move with no one behind it."""
    return user is not None and not manages(user, location.pk)


@transaction.atomic
def count_stock(
    *, variant: Variant, location: Location, counted: int, actor=None, note: str = ""
) -> StockLevel:
    """Record a physical count: on_hand becomes ``counted``, the difference is
    ledgered. The count takes in the units reserved here (held for orders, picked or
    set aside, and for transfers), so it is never below them: those are given up
    only with what holds them."""
    if not isinstance(counted, int) or isinstance(counted, bool) or counted < 0:
        raise ValidationFailed(
            "The count must be zero or more.",
            extra={"counted": ["Must be zero or more."]},
        )
    ensure_levels([(variant.pk, location.pk)])
    level = StockLevel.objects.select_for_update(no_key=True).get(
        variant=variant, location=location
    )
    if counted < level.reserved:
        held = (
            f"1 unit of {variant.sku} is"
            if level.reserved == 1
            else f"{level.reserved} units of {variant.sku} are"
        )
        raise ValidationFailed(
            f"{held} reserved here, held for customers' orders (picked, or set "
            "aside for a pickup) or transfers not shipped yet, so the count cannot "
            "be lower: count them with the rest. If units set aside for an order "
            "not picked yet, or for an order's transfer not shipped yet, are really "
            "gone, say so on the order's or the transfer's page (Not on our shelf): "
            "they are written off and asked again from another location. Others go "
            "with what holds them, cancelled; then count again.",
            code="count_below_held",
            extra={"counted": [f"At least {level.reserved}: the units reserved here."]},
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
