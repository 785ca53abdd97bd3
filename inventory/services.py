"""Every change of stock goes through here, with its ledger row in the same transaction.

Rules kept by these functions:
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
from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from omnistore.core import webhooks
from omnistore.core.db import connection_for, db_value, insert_rows
from omnistore.core.exceptions import (
    IllegalTransition,
    InsufficientStock,
    ValidationFailed,
)

from .models import (
    Location,
    MovementReason,
    Reservation,
    ReservationStatus,
    StockLevel,
    StockMovement,
    Transfer,
    TransferEvent,
    TransferLine,
    TransferStatus,
    Variant,
)
from .signals import stock_changed


@dataclass(frozen=True)
class StockRequest:
    variant_id: int
    location_id: int
    quantity: int


ADJUSTMENT_REASONS = {MovementReason.ADJUSTMENT, MovementReason.DAMAGE}


def _positive(quantity, field: str = "quantity") -> int:
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity <= 0:
        raise ValidationFailed(
            "Quantity must be a positive whole number.",
            extra={field: ["Must be a positive whole number."]},
        )
    return quantity


def _merge(requests: Iterable[StockRequest]) -> list[StockRequest]:
    """Sum duplicates and sort in lock order."""
    totals: dict[tuple[int, int], int] = defaultdict(int)
    for req in requests:
        _positive(req.quantity)
        totals[(req.location_id, req.variant_id)] += req.quantity
    return [
        StockRequest(variant_id=v, location_id=loc, quantity=q)
        for (loc, v), q in sorted(totals.items())
    ]


def _ensure_levels(pairs: Iterable[tuple[int, int]]) -> None:
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


def _movements(
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


def _shortages(requests: Sequence[StockRequest]) -> list[dict]:
    variant_ids = {r.variant_id for r in requests}
    location_ids = {r.location_id for r in requests}
    levels = {
        (lvl.variant_id, lvl.location_id): lvl.available
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
    _positive(quantity)
    _ensure_levels([(variant.pk, location.pk)])
    StockLevel.objects.filter(variant=variant, location=location).update(
        on_hand=F("on_hand") + quantity, updated_at=timezone.now()
    )
    _movements(
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
    _ensure_levels([(variant.pk, location.pk)])
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
    _movements(
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
    _ensure_levels([(variant.pk, location.pk)])
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
    _movements(
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


# --- reservations -------------------------------------------------------------------


# The guarded hold, kept as SQL: it runs for every line of every checkout.
_HOLD_SQL = (
    "UPDATE inventory_stocklevel SET reserved = reserved + %s, updated_at = %s"
    " WHERE variant_id = %s AND location_id = %s AND on_hand >= reserved + %s"
    " RETURNING on_hand - reserved - safety_stock"
)


def reserve_stock(
    *,
    requests: Iterable[StockRequest],
    reference_type: str,
    reference_id: str,
    actor=None,
    expires_at: datetime | None = None,
) -> list[Reservation]:
    """Hold stock for every request or for none.

    One guarded UPDATE per line: ``reserved += q WHERE on_hand - reserved >= q``. A line
    that matches no row is short (a missing level row holds nothing, so none is
    created); when any line is short one ``InsufficientStock`` names them all and
    nothing stays held.

    Inside a caller's transaction (checkout) this joins it without a savepoint: the
    lines already held are given back by the same guarded rows before raising, so a
    caller that goes on after the error finds the stock as it was. Called on its own,
    it is its own transaction.
    """
    if transaction.get_connection().in_atomic_block:
        return _reserve(requests, reference_type, reference_id, actor, expires_at)
    with transaction.atomic():
        return _reserve(requests, reference_type, reference_id, actor, expires_at)


def _reserve(
    requests, reference_type, reference_id, actor, expires_at
) -> list[Reservation]:
    requests = _merge(requests)
    now = timezone.now()
    held = []
    short = []
    free: set[tuple[int, int]] = set()  # held from, with units still free there
    connection = connection_for(StockLevel)
    stamp = db_value(StockLevel._meta.get_field("updated_at"), now, connection)
    with connection.cursor() as cursor:
        for req in requests:  # in (location, variant) order: no deadlock between two
            cursor.execute(
                _HOLD_SQL,
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
        raise InsufficientStock(_shortages(short))
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
    _movements(
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
    _movements(movements)
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
def sell_stock(
    *,
    requests: Iterable[StockRequest],
    reference_type: str,
    reference_id: str,
    actor=None,
) -> None:
    """Carry-out sale: stock leaves at once, guarded like a reservation."""
    requests = _merge(requests)
    _ensure_levels((r.variant_id, r.location_id) for r in requests)
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
        raise InsufficientStock(_shortages(short))
    _movements(
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


# --- transfers ----------------------------------------------------------------------


def _transition(transfer: Transfer, target: str, *, actor, note: str = "") -> None:
    TransferEvent.objects.create(
        transfer=transfer,
        from_status=transfer.status,
        to_status=target,
        actor=actor,
        note=note,
    )
    transfer.status = target


@transaction.atomic
def request_transfer(
    *,
    source: Location,
    destination: Location,
    lines: Sequence[tuple[Variant, int]],
    actor=None,
    note: str = "",
    reference_type: str = "",
    reference_id: str = "",
) -> Transfer:
    """Ask for goods to move; the quantities are reserved at the source at once."""
    errors: dict[str, list[str]] = {}
    if source.pk == destination.pk:
        errors["destination"] = ["Source and destination must be different locations."]
    if not lines:
        errors["lines"] = ["Add at least one line."]
    for _variant, qty in lines:
        if not isinstance(qty, int) or isinstance(qty, bool) or qty <= 0:
            errors["quantity"] = ["Must be a positive whole number."]
    if errors:
        raise ValidationFailed("The transfer is not valid.", extra=errors)
    merged: dict[int, int] = defaultdict(int)
    variants = {}
    for variant, qty in lines:
        merged[variant.pk] += qty
        variants[variant.pk] = variant
    transfer = Transfer.objects.create(
        source=source,
        destination=destination,
        requested_by=actor,
        note=note,
        reference_type=reference_type,
        reference_id=str(reference_id),
    )
    TransferLine.objects.bulk_create(
        [
            TransferLine(transfer=transfer, variant_id=v, quantity=q)
            for v, q in merged.items()
        ]
    )
    TransferEvent.objects.create(
        transfer=transfer, to_status=TransferStatus.REQUESTED, actor=actor, note=note
    )
    reserve_stock(
        requests=[StockRequest(v, source.pk, q) for v, q in merged.items()],
        reference_type="transfer",
        reference_id=str(transfer.pk),
        actor=actor,
    )
    return transfer


def _lock_transfer(transfer: Transfer | int) -> Transfer:
    pk = transfer.pk if isinstance(transfer, Transfer) else transfer
    return (
        Transfer.objects.select_for_update()
        .select_related("source", "destination")
        .get(pk=pk)
    )


def _transfer_reservations(transfer: Transfer):
    return Reservation.objects.filter(
        reference_type="transfer",
        reference_id=str(transfer.pk),
        status=ReservationStatus.ACTIVE,
    )


@transaction.atomic
def ship_transfer(*, transfer: Transfer | int, actor=None, note: str = "") -> Transfer:
    """The source sends the goods: reserved stock leaves its on-hand (transfer_out)."""
    transfer = _lock_transfer(transfer)
    if transfer.status != TransferStatus.REQUESTED:
        raise IllegalTransition(
            obj="Transfer", current=transfer.status, target="in_transit"
        )
    consume_reservations(
        reservations=list(_transfer_reservations(transfer)),
        reason=MovementReason.TRANSFER_OUT,
        actor=actor,
        note=note,
    )
    TransferLine.objects.filter(transfer=transfer).update(
        quantity_shipped=F("quantity")
    )
    _transition(transfer, TransferStatus.IN_TRANSIT, actor=actor, note=note)
    transfer.shipped_at = timezone.now()
    transfer.save(update_fields=["status", "shipped_at"])
    return transfer


@transaction.atomic
def receive_transfer(
    *,
    transfer: Transfer | int,
    quantities: dict[int, int] | None = None,
    actor=None,
    note: str = "",
) -> Transfer:
    """The destination books what arrived. ``quantities`` maps variant id → units received
    now; ``None`` receives everything outstanding. More than shipped is refused."""
    transfer = _lock_transfer(transfer)
    if transfer.status not in {
        TransferStatus.IN_TRANSIT,
        TransferStatus.PARTIALLY_RECEIVED,
    }:
        raise IllegalTransition(
            obj="Transfer", current=transfer.status, target="received"
        )
    lines = {line.variant_id: line for line in transfer.lines.select_related("variant")}
    if quantities is None:
        quantities = {
            v: line.outstanding for v, line in lines.items() if line.outstanding
        }
    errors = {}
    for variant_id, qty in quantities.items():
        line = lines.get(variant_id)
        if line is None:
            errors[str(variant_id)] = ["This item is not on the transfer."]
        elif not isinstance(qty, int) or qty < 0:
            errors[line.variant.sku] = ["Must be zero or more."]
        elif qty > line.outstanding:
            errors[line.variant.sku] = [
                f"Only {line.outstanding} shipped and not yet received; cannot receive {qty}."
            ]
    if not any(quantities.values()) and not errors:
        errors["quantities"] = ["Receive at least one unit."]
    if errors:
        raise ValidationFailed("The receipt does not match the transfer.", extra=errors)
    for variant_id, qty in sorted(quantities.items()):
        if not qty:
            continue
        line = lines[variant_id]
        receive_stock(
            variant=line.variant,
            location=transfer.destination,
            quantity=qty,
            actor=actor,
            reason=MovementReason.TRANSFER_IN,
            reference_type="transfer",
            reference_id=str(transfer.pk),
            note=note,
        )
        line.quantity_received += qty
        line.save(update_fields=["quantity_received"])
    complete = all(line.outstanding == 0 for line in lines.values())
    target = TransferStatus.RECEIVED if complete else TransferStatus.PARTIALLY_RECEIVED
    _transition(transfer, target, actor=actor, note=note)
    if complete:
        transfer.received_at = timezone.now()
    transfer.save(update_fields=["status", "received_at"])
    return transfer


@transaction.atomic
def cancel_transfer(
    *, transfer: Transfer | int, actor=None, note: str = ""
) -> Transfer:
    """Only a transfer not yet shipped can be cancelled; its reservations are released."""
    transfer = _lock_transfer(transfer)
    if transfer.status != TransferStatus.REQUESTED:
        raise IllegalTransition(
            obj="Transfer", current=transfer.status, target="cancelled"
        )
    release_reservations(
        reservations=list(_transfer_reservations(transfer)), actor=actor, note=note
    )
    _transition(transfer, TransferStatus.CANCELLED, actor=actor, note=note)
    transfer.save(update_fields=["status"])
    return transfer
