"""The points ledger: earning and reversing, once per reference.

A balance never goes below 0: points are spent only from what is held, and taking
back points already spent takes what is left; the rest is owed
(``Customer.points_owed``, ``reverse_points``). Points owed are paid first from
whatever comes back or is earned next (``_repay_owed``) and from the balance a merge
brings (``settle_points_owed``), so that once everything given back is given back,
the customer holds what they held before. The ledger adds up to both: its
``points`` to the balance, its ``owed`` to the points owed.
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
from omnistore.core.exceptions import Conflict, ValidationFailed

# --- Loyalty ------------------------------------------------------------------------


# The timeline's kind for each kind of booking.
EVENT_KINDS = {
    LoyaltyKind.EARN: EVENT_POINTS_EARNED,
    LoyaltyKind.REVERSE: EVENT_POINTS_REVERSED,
    LoyaltyKind.REDEEM: EVENT_POINTS_SPENT,
    LoyaltyKind.RESTORE: EVENT_POINTS_GIVEN_BACK,
    # Paying what a reversal could not take is that reversal, done later.
    LoyaltyKind.REPAY: EVENT_POINTS_REVERSED,
}

# Kinds that bring points in, and so pay what is owed first.
PAYING_KINDS = (LoyaltyKind.EARN, LoyaltyKind.RESTORE)

# A repayment's reference: the ledger line whose points paid it.
REPAID_FROM = "points_entry"


def _summary(kind: str, points: int, reason: str) -> str:
    """The timeline's line for a booking of signed ``points``: spending reads as a
    payment ("Paid 600 points for order OS-…"), points given back as such."""
    if kind == LoyaltyKind.REDEEM:
        return f"Paid {-points} points for {reason[:1].lower()}{reason[1:]}"
    if kind == LoyaltyKind.RESTORE:
        return f"{reason} ({points:+} points)"
    if kind == LoyaltyKind.REVERSE and not points:
        return f"No points taken back: {reason}"
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
    the customer see, and the reference it is booked once for. A reversal's
    ``not_taken_back`` part of its ``points`` was spent already: it becomes owed
    instead of leaving the balance."""

    customer: Customer | int
    points: int
    reason: str
    reference_type: str = ""
    reference_id: str = ""
    actor: Any = None
    # Points a reversal could not take back, already spent: owed.
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
    skipped); points coming in pay what their profile owes first (one more INSERT,
    only then); only the rows that went in move the balances and the points owed
    (one UPDATE, so bookings of one profile add up) and reach the timelines (one
    INSERT). Returns the booked rows in the order of ``bookings``."""
    amounts = [_positive_points(booking.points) for booking in bookings]
    if not bookings:
        return []
    live = lock_customers({getattr(b.customer, "pk", b.customer) for b in bookings})
    entries: list[tuple[LoyaltyTransaction, PointsBooking]] = []
    referenced, unreferenced, seen = [], [], set()
    for booking, points in zip(bookings, amounts, strict=True):
        customer = live[getattr(booking.customer, "pk", booking.customer)]
        txn = _ledger_row(kind, customer, booking, points)
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
    booked = [txn for txn, _ in entries]
    if kind in PAYING_KINDS:
        entries += _repay_owed(entries, live.values())
    _move_balances([txn for txn, _ in entries])
    record_events(
        [
            {
                "customer": txn.customer_id,
                "kind": EVENT_KINDS[txn.kind],
                "summary": _summary(txn.kind, txn.points, txn.reason),
                "actor": booking.actor,
                "data": {"points": txn.points} | _owed_data(txn),
                "reference_type": txn.reference_type,
                "reference_id": txn.reference_id,
            }
            for txn, booking in entries
        ],
        locked=True,
    )
    return booked


def _ledger_row(
    kind: str, customer: Customer, booking: PointsBooking, points: int
) -> LoyaltyTransaction:
    """The ledger line of one booking: points in or out of the balance; a reversal's
    points spent already owed instead, a repayment's paying what is owed."""
    owed, moved = 0, points
    if kind == LoyaltyKind.REVERSE:
        owed = min(max(booking.not_taken_back, 0), points)
        moved = points - owed
    elif kind == LoyaltyKind.REPAY:
        owed = -points
    return LoyaltyTransaction(
        customer=customer,
        kind=kind,
        points=moved if kind in PAYING_KINDS else -moved,
        owed=owed,
        reason=(booking.reason or "")[:250],
        reference_type=booking.reference_type or "",
        reference_id=str(booking.reference_id or ""),
        actor=acting_user(booking.actor),
    )


def _repay_owed(
    booked: Sequence[tuple[LoyaltyTransaction, PointsBooking]], live
) -> list[tuple[LoyaltyTransaction, PointsBooking]]:
    """What the locked profiles ``live`` owe (read under their lock), paid from the
    points just ``booked`` for them, in order: one repayment line per line that
    paid, referring to it. Nothing is read or written when nothing is owed."""
    owing = {customer.pk: customer.points_owed for customer in live}
    rows: list[tuple[LoyaltyTransaction, PointsBooking]] = []
    for txn, paying in booked:
        paid = min(owing.get(txn.customer_id, 0), txn.points)
        if paid <= 0:
            continue
        owing[txn.customer_id] -= paid
        booking = PointsBooking(
            customer=txn.customer,
            points=paid,
            reason=f"Points owed paid from: {txn.reason}",
            reference_type=REPAID_FROM,
            reference_id=str(txn.pk),
            actor=paying.actor,
        )
        rows.append(
            (_ledger_row(LoyaltyKind.REPAY, txn.customer, booking, paid), booking)
        )
    LoyaltyTransaction.objects.bulk_create([txn for txn, _ in rows])
    return rows


def _move_balances(rows: Sequence[LoyaltyTransaction]) -> None:
    """Add the rows' points to their profiles' balances and their ``owed`` to the
    points owed, in one UPDATE."""
    points: dict[int, int] = {}
    owed: dict[int, int] = {}
    for txn in rows:
        points[txn.customer_id] = points.get(txn.customer_id, 0) + txn.points
        owed[txn.customer_id] = owed.get(txn.customer_id, 0) + txn.owed
    changes = {"points_balance": _plus("points_balance", points)}
    if any(owed.values()):
        changes["points_owed"] = _plus("points_owed", owed)
    Customer.objects.filter(pk__in=points).update(**changes)


def _plus(field: str, amounts: dict[int, int]):
    return F(field) + Case(
        *(When(pk=pk, then=Value(amount)) for pk, amount in amounts.items()),
        default=Value(0),
        output_field=IntegerField(),
    )


def _owed_data(txn: LoyaltyTransaction) -> dict:
    """A timeline line's word on what is owed: a reversal's points not taken back
    (``not_taken_back``), a repayment's points owed paid (``owed``, negative)."""
    if not txn.owed:
        return {}
    if txn.kind == LoyaltyKind.REVERSE:
        return {"not_taken_back": txn.owed}
    return {"owed": txn.owed}


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
    """Credit points; the same (reference_type, reference_id) is credited once only.
    What the customer owes is paid from them first."""
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
    (``spent``) had been spent already and is owed."""

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
    holds is taken back; the points already spent are owed, paid first from the
    points that come in next. The ledger line says how many (``owed``, and in its
    reason), even when none could be taken."""
    points = _positive_points(points)
    with _in_transaction():
        pk = getattr(customer, "pk", customer)
        live = lock_customers({pk})[pk]
        before = _booked_before(LoyaltyKind.REVERSE, reference_type, reference_id)
        if before is not None:
            return PointsReversal(asked=points, taken=-before.points)
        taken = min(points, max(live.points_balance, 0))
        spent = points - taken
        _book_points(
            kind=LoyaltyKind.REVERSE,
            customer=live,
            points=points,
            reason=_owed_reason(reason, points, spent) if spent else reason,
            reference_type=reference_type,
            reference_id=reference_id,
            actor=actor,
            not_taken_back=spent,
        )
        return PointsReversal(asked=points, taken=taken)


def _owed_reason(reason: str, points: int, spent: int) -> str:
    """A reversal's reason, saying how many of its points were spent already."""
    if spent == points:
        return f"{reason} (all {points} points already spent: owed)"
    return f"{reason} ({spent} of {points} points already spent: owed)"


def settle_points_owed(
    *,
    customer: Customer | int,
    reason: str,
    reference_type: str,
    reference_id: str,
    actor=None,
) -> LoyaltyTransaction | None:
    """Pay what the live profile owes from its balance, as far as it goes, once per
    reference: for a merge, which adds up two profiles' balances and points owed
    (one may hold what the other owes). None when there was nothing to pay."""
    with _in_transaction():
        pk = getattr(customer, "pk", customer)
        live = lock_customers({pk})[pk]
        paid = min(live.points_balance, live.points_owed)
        if paid <= 0:
            return None
        return _book_points(
            kind=LoyaltyKind.REPAY,
            customer=live,
            points=paid,
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
    reference; what the customer owes is paid from them first. An erased profile
    takes none (409 ``profile_erased``, nothing booked): its erasure wrote off the
    points it held, and nobody could ever spend points put on it."""
    with _in_transaction():
        pk = getattr(customer, "pk", customer)
        live = lock_customers({pk})[pk]
        if live.is_anonymised:
            done = _booked_before(LoyaltyKind.RESTORE, reference_type, reference_id)
            if done is not None:
                return done
            raise _erased_takes_no_points()
        return _book_points(
            kind=LoyaltyKind.RESTORE,
            customer=live,
            points=points,
            reason=reason,
            reference_type=reference_type,
            reference_id=reference_id,
            actor=actor,
        )


def _erased_takes_no_points() -> Conflict:
    message = (
        "No points were given back: the customer's profile was erased, so nobody "
        "could ever spend points on it."
    )
    return Conflict(message, code="profile_erased", extra={"points": [message]})


# --- Consents, notes, profile -------------------------------------------------------
