"""The points ledger: earning and reversing, once per reference.

A balance never goes below 0: points are spent only from what is held, and taking
back points already spent takes what is left and says how many were not
(``reverse_points``).
"""

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
    EVENT_POINTS_GIVEN_BACK,
    EVENT_POINTS_REVERSED,
    EVENT_POINTS_SPENT,
    record_events,
)
from omnistore.core.actors import acting_user
from omnistore.core.db import insert_rows
from omnistore.core.exceptions import ValidationFailed

# --- Loyalty ------------------------------------------------------------------------


# The timeline's kind for each kind of booking.
EVENT_KINDS = {
    LoyaltyKind.EARN: EVENT_POINTS_EARNED,
    LoyaltyKind.REVERSE: EVENT_POINTS_REVERSED,
    LoyaltyKind.REDEEM: EVENT_POINTS_SPENT,
    LoyaltyKind.RESTORE: EVENT_POINTS_GIVEN_BACK,
}


def _summary(kind: str, points: int, reason: str) -> str:
    """The timeline's line for a booking of signed ``points``: spending reads as a
    payment ("Paid 600 points for order OS-…"), points given back as such."""
    if kind == LoyaltyKind.REDEEM:
        return f"Paid {-points} points for {reason[:1].lower()}{reason[1:]}"
    if kind == LoyaltyKind.RESTORE:
        return f"{reason} ({points:+} points)"
    return f"{points:+} points: {reason}"


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
    # Points a reversal could not take back, already spent (on its timeline line).
    not_taken_back: int = 0


def _book_points(
    *,
    kind: str,
    customer: Customer,
    points: int,
    reason: str,
    reference_type: str,
    reference_id,
    actor,
    not_taken_back: int = 0,
) -> LoyaltyTransaction:
    booking = PointsBooking(
        customer=customer,
        points=points,
        reason=reason,
        reference_type=reference_type,
        reference_id=reference_id,
        actor=actor,
        not_taken_back=not_taken_back,
    )
    booked = _book_many(kind=kind, bookings=[booking])
    if booked:
        return booked[0]
    return _booked_before(kind, reference_type, reference_id)


def _booked_before(kind: str, reference_type: str, reference_id):
    """The row booked for this reference (once per reference), or None."""
    if not reference_id:
        return None
    return LoyaltyTransaction.objects.filter(
        kind=kind,
        reference_type=reference_type or "",
        reference_id=str(reference_id),
    ).first()


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
    record_events(
        [
            {
                "customer": txn.customer_id,
                "kind": EVENT_KINDS[kind],
                "summary": _summary(kind, txn.points, txn.reason),
                "actor": booking.actor,
                "data": {"points": txn.points}
                | (
                    {"not_taken_back": booking.not_taken_back}
                    if booking.not_taken_back
                    else {}
                ),
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


@dataclass(frozen=True)
class PointsReversal:
    """What taking back ``asked`` points did: ``taken`` off the balance; the rest
    (``spent``) had been spent already and was not taken back."""

    asked: int
    taken: int

    @property
    def spent(self) -> int:
        return self.asked - self.taken


def reverse_points(
    *,
    customer: Customer | int,
    points: int,
    reason: str,
    reference_type: str = "",
    reference_id: str = "",
    actor=None,
) -> PointsReversal:
    """Take back ``points`` (a positive number); once per reference, like earning.
    The balance never goes below 0: the live profile is locked and what it still
    holds is taken back, the points already spent are not, and the ledger line
    and the timeline say how many (nothing is booked when none is left)."""
    points = _positive_points(points)
    with _in_transaction():
        pk = getattr(customer, "pk", customer)
        live = lock_customers({pk})[pk]
        before = _booked_before(LoyaltyKind.REVERSE, reference_type, reference_id)
        if before is not None:
            return PointsReversal(asked=points, taken=-before.points)
        taken = min(points, max(live.points_balance, 0))
        spent = points - taken
        if spent:
            reason = _not_taken_back(reason, points, spent)
        if not taken:
            _record_not_taken_back(
                live, spent, reason, reference_type, reference_id, actor
            )
            return PointsReversal(asked=points, taken=0)
        _book_points(
            kind=LoyaltyKind.REVERSE,
            customer=live,
            points=taken,
            reason=reason,
            reference_type=reference_type,
            reference_id=reference_id,
            actor=actor,
            not_taken_back=spent,
        )
        return PointsReversal(asked=points, taken=taken)


def _not_taken_back(reason: str, points: int, spent: int) -> str:
    """A reversal's reason, saying how many of its points were spent already."""
    if spent == points:
        return f"{reason} (all {points} points already spent: none taken back)"
    return f"{reason} ({spent} of {points} points already spent: not taken back)"


def _record_not_taken_back(
    live: Customer, spent: int, reason: str, reference_type, reference_id, actor
) -> None:
    """Points to take back where none is left: nothing moves, so no ledger line;
    the timeline says it."""
    record_events(
        [
            {
                "customer": live.pk,
                "kind": EVENT_POINTS_REVERSED,
                "summary": f"No points taken back: {reason}",
                "actor": actor,
                "data": {"points": 0, "not_taken_back": spent},
                "reference_type": reference_type or "",
                "reference_id": str(reference_id or ""),
            }
        ],
        locked=True,
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
