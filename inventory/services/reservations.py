"""Stock held for customers and transfers, given back, or leaving the location."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from omnistore.core.db import connection_for, db_value, insert_rows
from omnistore.core.exceptions import InsufficientStock, ValidationFailed

from ..models import (
    MovementReason,
    Reservation,
    ReservationStatus,
    StockLevel,
    StockMovement,
)
from .ledger import (
    StockRequest,
    ensure_levels,
    merge_requests,
    record_movements,
    shortages,
)

# The guarded hold, kept as SQL: it runs for every line of every checkout. An
# order's hold keeps the safety stock back, as its sourcing did; a hold on units
# already there for it (a transfer arrived) does not.
_HOLD = (
    "UPDATE inventory_stocklevel SET reserved = reserved + %s, updated_at = %s"
    " WHERE variant_id = %s AND location_id = %s AND {guard}"
    " RETURNING on_hand - reserved - safety_stock"
)
_HOLD_SQL = _HOLD.format(guard="on_hand >= reserved + %s")
_HOLD_KEEPING_SAFETY_SQL = _HOLD.format(guard="on_hand - safety_stock >= reserved + %s")


def reserve_stock(
    *,
    requests: Iterable[StockRequest],
    reference_type: str,
    reference_id: str,
    actor=None,
    expires_at: datetime | None = None,
    keep_safety: bool = False,
) -> list[Reservation]:
    """Hold stock for every request or for none; ``keep_safety`` leaves each
    level's safety stock free (an order sourced from what is free beyond it).

    One guarded UPDATE per line: ``reserved += q WHERE on_hand - reserved >= q``. A line
    that matches no row is short (a missing level row holds nothing, so none is
    created); when any line is short one ``InsufficientStock`` names them all and
    nothing stays held.

    Inside a caller's transaction (checkout) this joins it without a savepoint: the
    lines already held are given back by the same guarded rows before raising, so a
    caller that goes on after the error finds the stock as it was. Called on its own,
    it is its own transaction.
    """
    args = (requests, reference_type, reference_id, actor, expires_at, keep_safety)
    if transaction.get_connection().in_atomic_block:
        return _reserve(*args)
    with transaction.atomic():
        return _reserve(*args)


def _reserve(
    requests, reference_type, reference_id, actor, expires_at, keep_safety=False
) -> list[Reservation]:
    sql = _HOLD_KEEPING_SAFETY_SQL if keep_safety else _HOLD_SQL
    requests = merge_requests(requests)
    now = timezone.now()
    held = []
    short = []
    free: set[tuple[int, int]] = set()  # held from, with units still free there
    connection = connection_for(StockLevel)
    stamp = db_value(StockLevel._meta.get_field("updated_at"), now, connection)
    with connection.cursor() as cursor:
        for req in requests:  # in (location, variant) order: no deadlock between two
            cursor.execute(
                sql,
                [req.quantity, stamp, req.variant_id, req.location_id, req.quantity],
            )
            row = cursor.fetchone()
            (held if row is not None else short).append(req)
            if row is not None and row[0] > 0:
                free.add((req.variant_id, req.location_id))
    if short:
        for req in held:  # this transaction still holds these rows' locks
            StockLevel.objects.filter(
                variant_id=req.variant_id, location_id=req.location_id
            ).update(reserved=F("reserved") - req.quantity)
        raise InsufficientStock(shortages(short, keep_safety=keep_safety))
    reservations = insert_rows(
        [
            Reservation(
                variant_id=r.variant_id,
                location_id=r.location_id,
                quantity=r.quantity,
                reference_type=reference_type,
                reference_id=str(reference_id),
                expires_at=expires_at,
            )
            for r in requests
        ]
    )
    record_movements(
        [
            StockMovement(
                variant_id=r.variant_id,
                location_id=r.location_id,
                delta_reserved=r.quantity,
                reason=MovementReason.RESERVATION,
                reference_type=reference_type,
                reference_id=str(reference_id),
                actor=actor,
            )
            for r in requests
        ],
        still_available=frozenset(free),
    )
    return reservations


def _settle(
    reservations: Iterable[Reservation | int],
    *,
    status: str,
    reason: str,
    consume: bool,
    actor,
    note: str,
) -> list[Reservation]:
    ids = sorted({r.pk if isinstance(r, Reservation) else int(r) for r in reservations})
    locked = list(
        Reservation.objects.select_for_update()
        .filter(pk__in=ids, status=ReservationStatus.ACTIVE)
        .order_by("location_id", "variant_id", "pk")
    )
    now = timezone.now()
    movements = []
    for res in locked:
        changes = {"reserved": F("reserved") - res.quantity, "updated_at": now}
        if consume:
            changes["on_hand"] = F("on_hand") - res.quantity
        StockLevel.objects.filter(
            variant_id=res.variant_id, location_id=res.location_id
        ).update(**changes)
        movements.append(
            StockMovement(
                variant_id=res.variant_id,
                location_id=res.location_id,
                delta_on_hand=-res.quantity if consume else 0,
                delta_reserved=-res.quantity,
                reason=reason,
                reference_type=res.reference_type,
                reference_id=res.reference_id,
                note=note,
                actor=actor,
            )
        )
        res.status = status
        res.updated_at = now
    Reservation.objects.bulk_update(locked, ["status", "updated_at"])
    record_movements(movements)
    return locked


@transaction.atomic
def release_reservations(
    *, reservations: Iterable[Reservation | int], actor=None, note: str = ""
) -> list[Reservation]:
    """Give held stock back (cancel, expiry). Already settled reservations are skipped."""
    return _settle(
        reservations,
        status=ReservationStatus.RELEASED,
        reason=MovementReason.RELEASE,
        consume=False,
        actor=actor,
        note=note,
    )


@transaction.atomic
def consume_reservations(
    *,
    reservations: Iterable[Reservation | int],
    reason: str = MovementReason.SALE,
    actor=None,
    note: str = "",
) -> list[Reservation]:
    """Held stock leaves the location (picked up, shipped, sold, sent on a transfer)."""
    return _settle(
        reservations,
        status=ReservationStatus.CONSUMED,
        reason=reason,
        consume=True,
        actor=actor,
        note=note,
    )


@transaction.atomic
def write_off_held(
    *,
    reservations: Iterable[Reservation | int],
    units: int,
    note: str,
    reference_type: str,
    reference_id: str,
    actor=None,
) -> None:
    """Units held here (for an order, a transfer) that are not on the shelf after
    all: they leave the hold and the on-hand stock together, in one ``count`` row of
    the ledger naming what held them, so the level says what the shelf holds. The
    holds (of one item at one location) are locked in pk order, as ``_settle`` locks
    them, and taken from in that order: one taken from in part keeps the rest, one
    taken whole is consumed. More units than they hold is refused, nothing changed."""
    if not isinstance(units, int) or isinstance(units, bool) or units <= 0:
        raise ValidationFailed(
            "Say how many units are missing.",
            extra={"units": ["Must be a positive whole number."]},
        )
    ids = sorted({r.pk if isinstance(r, Reservation) else int(r) for r in reservations})
    locked = list(
        Reservation.objects.select_for_update()
        .filter(pk__in=ids, status=ReservationStatus.ACTIVE)
        .order_by("pk")
    )
    held = sum(res.quantity for res in locked)
    places = {(res.variant_id, res.location_id) for res in locked}
    if units > held or len(places) != 1:
        message = f"At most {held}: the units held here."
        raise ValidationFailed(message, code="not_held", extra={"units": [message]})
    ((variant_id, location_id),) = places
    now = timezone.now()
    left, taken = units, []
    for res in locked:
        if not left:
            break
        take = min(left, res.quantity)
        if take == res.quantity:
            res.status = ReservationStatus.CONSUMED
        else:
            res.quantity -= take
        res.updated_at = now
        taken.append(res)
        left -= take
    Reservation.objects.bulk_update(taken, ["status", "quantity", "updated_at"])
    StockLevel.objects.filter(variant_id=variant_id, location_id=location_id).update(
        on_hand=F("on_hand") - units, reserved=F("reserved") - units, updated_at=now
    )
    record_movements(
        [
            StockMovement(
                variant_id=variant_id,
                location_id=location_id,
                delta_on_hand=-units,
                delta_reserved=-units,
                reason=MovementReason.COUNT,
                reference_type=reference_type,
                reference_id=str(reference_id),
                note=note[:250],
                actor=actor,
            )
        ]
    )


@transaction.atomic
def sell_stock(
    *,
    requests: Iterable[StockRequest],
    reference_type: str,
    reference_id: str,
    actor=None,
) -> None:
    """Carry-out sale: stock leaves at once, guarded like a reservation."""
    requests = merge_requests(requests)
    ensure_levels((r.variant_id, r.location_id) for r in requests)
    now = timezone.now()
    short = [
        req
        for req in requests
        if not StockLevel.objects.filter(
            variant_id=req.variant_id,
            location_id=req.location_id,
            on_hand__gte=F("reserved") + req.quantity,
        ).update(on_hand=F("on_hand") - req.quantity, updated_at=now)
    ]
    if short:
        raise InsufficientStock(shortages(short))
    record_movements(
        [
            StockMovement(
                variant_id=r.variant_id,
                location_id=r.location_id,
                delta_on_hand=-r.quantity,
                reason=MovementReason.SALE,
                reference_type=reference_type,
                reference_id=str(reference_id),
                actor=actor,
            )
            for r in requests
        ]
    )
