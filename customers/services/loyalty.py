"""The points ledger: earning and reversing, once per reference."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Case, F, IntegerField, Value, When

from customers.models import (
    Customer,
    LoyaltyKind,
    LoyaltyTransaction,
)
from customers.services.identities import (
    lock_customers,
)
from customers.services.timeline import (
    EVENT_POINTS_EARNED,
    EVENT_POINTS_REVERSED,
    record_events,
)
from omnistore.core.actors import acting_user
from omnistore.core.db import insert_rows
from omnistore.core.exceptions import ValidationFailed

# --- Loyalty ------------------------------------------------------------------------


def _positive_points(points) -> int:
    if not isinstance(points, int) or isinstance(points, bool) or points <= 0:
        raise ValidationFailed(
            "Points must be a positive whole number.",
            extra={"points": ["Must be a positive whole number."]},
        )
    return points


@dataclass(frozen=True)
class PointsBooking:
    """One entry for the points ledger: ``customer`` (a profile or its id; a merged
    one is followed to the survivor), positive ``points``, the ``reason`` staff and
    the customer see, and the reference it is booked once for."""

    customer: Customer | int
    points: int
    reason: str
    reference_type: str = ""
    reference_id: str = ""
    actor: Any = None


def _book_points(
    *,
    kind: str,
    customer: Customer,
    points: int,
    reason: str,
    reference_type: str,
    reference_id,
    actor,
) -> LoyaltyTransaction:
    booking = PointsBooking(
        customer=customer,
        points=points,
        reason=reason,
        reference_type=reference_type,
        reference_id=reference_id,
        actor=actor,
    )
    booked = _book_many(kind=kind, bookings=[booking])
    if booked:
        return booked[0]
    return LoyaltyTransaction.objects.get(  # booked before: once per reference
        kind=kind,
        reference_type=reference_type,
        reference_id=str(reference_id or ""),
    )


def _book_many(
    *, kind: str, bookings: Sequence[PointsBooking]
) -> list[LoyaltyTransaction]:
    """The one writer of the points ledger, a fixed number of queries for any number
    of bookings. Every booking is checked before anything is written; the live
    profiles are locked in pk order; a reference is booked once (the unique key
    decides, in the same INSERT, so a booking made before or twice in ``bookings`` is
    skipped); only the rows that went in move the balances (one UPDATE, so bookings
    of one profile add up) and reach the timelines (one INSERT). Returns those rows
    in the order of ``bookings``."""
    amounts = [_positive_points(booking.points) for booking in bookings]
    if not bookings:
        return []
    live = lock_customers({getattr(b.customer, "pk", b.customer) for b in bookings})
    sign = 1 if kind in (LoyaltyKind.EARN, LoyaltyKind.RESTORE) else -1
    entries: list[tuple[LoyaltyTransaction, PointsBooking]] = []
    referenced, unreferenced, seen = [], [], set()
    for booking, points in zip(bookings, amounts, strict=True):
        txn = LoyaltyTransaction(
            customer=live[getattr(booking.customer, "pk", booking.customer)],
            kind=kind,
            points=sign * points,
            reason=(booking.reason or "")[:250],
            reference_type=booking.reference_type or "",
            reference_id=str(booking.reference_id or ""),
            actor=acting_user(booking.actor),
        )
        reference = (txn.reference_type, txn.reference_id)
        if not txn.reference_id:
            unreferenced.append(txn)
        elif reference not in seen:
            seen.add(reference)
            referenced.append(txn)
        else:
            continue
        entries.append((txn, booking))
    insert_rows(
        referenced,
        ignore_duplicates=True,
        key=("kind", "reference_type", "reference_id"),
    )
    LoyaltyTransaction.objects.bulk_create(unreferenced)
    entries = [(txn, booking) for txn, booking in entries if txn.pk is not None]
    if not entries:
        return []
    totals: dict[int, int] = {}
    for txn, _ in entries:
        totals[txn.customer_id] = totals.get(txn.customer_id, 0) + txn.points
    Customer.objects.filter(pk__in=totals).update(
        points_balance=F("points_balance")
        + Case(
            *(When(pk=pk, then=Value(points)) for pk, points in totals.items()),
            default=Value(0),
            output_field=IntegerField(),
        )
    )
    event_kind = EVENT_POINTS_EARNED if sign > 0 else EVENT_POINTS_REVERSED
    record_events(
        [
            {
                "customer": txn.customer_id,
                "kind": event_kind,
                "summary": f"{txn.points:+} points: {booking.reason}",
                "actor": booking.actor,
                "data": {"points": txn.points},
                "reference_type": txn.reference_type,
                "reference_id": txn.reference_id,
            }
            for txn, booking in entries
        ],
        locked=True,
    )
    return [txn for txn, _ in entries]


def _in_transaction():
    """The caller's transaction when there is one, without a savepoint (a booking
    raises only before it writes, so nothing half-done is left to roll back to);
    otherwise a transaction of its own."""
    if transaction.get_connection().in_atomic_block:
        return nullcontext()
    return transaction.atomic()


def earn_points(
    *,
    customer: Customer,
    points: int,
    reason: str,
    reference_type: str = "",
    reference_id: str = "",
    actor=None,
) -> LoyaltyTransaction:
    """Credit points; the same (reference_type, reference_id) is credited once only."""
    with _in_transaction():
        return _book_points(
            kind=LoyaltyKind.EARN,
            customer=customer,
            points=points,
            reason=reason,
            reference_type=reference_type,
            reference_id=reference_id,
            actor=actor,
        )


def earn_points_in_bulk(
    *, bookings: Sequence[PointsBooking]
) -> list[LoyaltyTransaction]:
    """Credit many bookings (a batch of paid orders) with a fixed number of queries,
    each reference once, like ``earn_points``; returns the ledger rows written."""
    with _in_transaction():
        return _book_many(kind=LoyaltyKind.EARN, bookings=bookings)


def reverse_points(
    *,
    customer: Customer,
    points: int,
    reason: str,
    reference_type: str = "",
    reference_id: str = "",
    actor=None,
) -> LoyaltyTransaction:
    """Take back ``points`` (a positive number); once per reference, like earning."""
    with _in_transaction():
        return _book_points(
            kind=LoyaltyKind.REVERSE,
            customer=customer,
            points=points,
            reason=reason,
            reference_type=reference_type,
            reference_id=reference_id,
            actor=actor,
        )


def check_points_held(held: int, points: int) -> None:
    """Refuses spending ``points`` from a balance of ``held``."""
    if held < points:
        raise ValidationFailed(
            f"Not enough points: {held} held, {points} asked.",
            code="insufficient_points",
            extra={"points": [f"Points available: {max(held, 0)}."]},
        )


def redeem_points(
    *,
    customer: Customer | int,
    points: int,
    reason: str,
    reference_type: str,
    reference_id: str,
    actor=None,
) -> LoyaltyTransaction:
    """Spend ``points`` as a tender, once per reference: the live profile is locked
    first, so two checkouts spending the same points queue and the second finds
    what is left; more points than held are refused with nothing booked."""
    points = _positive_points(points)
    with _in_transaction():
        pk = getattr(customer, "pk", customer)
        live = lock_customers({pk})[pk]
        held = live.points_balance  # read under the lock
        check_points_held(held, points)
        return _book_points(
            kind=LoyaltyKind.REDEEM,
            customer=live,
            points=points,
            reason=reason,
            reference_type=reference_type,
            reference_id=reference_id,
            actor=actor,
        )


def restore_points(
    *,
    customer: Customer | int,
    points: int,
    reason: str,
    reference_type: str,
    reference_id: str,
    actor=None,
) -> LoyaltyTransaction:
    """Give back points spent on an order (refunded or cancelled), once per
    reference."""
    with _in_transaction():
        return _book_points(
            kind=LoyaltyKind.RESTORE,
            customer=getattr(customer, "pk", customer),
            points=points,
            reason=reason,
            reference_type=reference_type,
            reference_id=reference_id,
            actor=actor,
        )


# --- Consents, notes, profile -------------------------------------------------------
