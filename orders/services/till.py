"""The till: open a register's session with a counted float, book counter sales and
cash refunds into it, move cash in and out, close it against a count, and have a
manager approve a close whose over/short is beyond the tolerance.

Rules kept here:
- one open session per register (a partial unique constraint; a second open is
  refused, never a second row);
- every change of the drawer is one ``TillMovement`` (who, when, why), append-only;
- a session's row is locked (``select_for_update``) by every write that books into it
  and by the close, so a close sees every booking before it and two devices closing
  the same session at once make exactly one close.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from omnistore.accounts.scoping import shop_ids
from omnistore.core.actors import acting_user
from omnistore.core.exceptions import (
    Conflict,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from orders.models import (
    Order,
    Payment,
    PaymentMethod,
    Refund,
    Register,
    TillMovement,
    TillMovementKind,
    TillSession,
    TillSessionStatus,
)
from orders.selectors.till import (
    count_as_json,
    counted_total,
    expected_cash,
    open_session_at,
    open_session_of,
)

from .common import to_money

NO_OPEN_TILL = (
    "The till is not open on this register: open it with a float before taking cash. "
    "Nothing was sold."
)
NO_TILL_FOR_CASH = (
    "Cash moves only through an open till: open the till at this shop's counter "
    "first. Nothing was changed."
)


@dataclass(frozen=True)
class TillBooking:
    """A counter sale's place on the till, booked in the sale's own transaction: the
    open session and the cash the customer handed over (none: exactly the cash due)."""

    session: TillSession | int
    tendered: Decimal | None = None


def _lock_session(session: TillSession | int) -> TillSession:
    pk = session.pk if isinstance(session, TillSession) else session
    try:
        return TillSession.objects.select_for_update().get(pk=pk)
    except TillSession.DoesNotExist:
        raise NotFound("No such till session.") from None


def _require_open(session: TillSession) -> None:
    if session.status != TillSessionStatus.OPEN:
        raise Conflict(
            f"This till session is {session.get_status_display().lower()}.",
            code="till_not_open",
        )


@transaction.atomic
def open_till(
    *,
    register: Register,
    counts: Mapping[Decimal, int],
    actor,
    now: datetime | None = None,
) -> TillSession:
    """Open a session with the float counted by denomination; refused while the
    register has an open session (the constraint decides under a race)."""
    if not register.active:
        raise ValidationFailed("This register is not in use.", code="register_inactive")
    if any(int(units) < 0 for units in counts.values()):
        raise ValidationFailed("Counts cannot be negative.", code="negative_count")
    now = now or timezone.now()
    amount = counted_total(counts)
    try:
        with transaction.atomic():
            session = TillSession.objects.create(
                register=register,
                currency=settings.OMNISTORE_CURRENCY,
                opening_float=amount,
                opening_count=count_as_json(counts),
                opened_by=acting_user(actor),
                opened_at=now,
            )
    except IntegrityError:
        raise Conflict(
            f"{register.name} is already open: close it before opening it again.",
            code="till_already_open",
        ) from None
    TillMovement.objects.create(
        session=session,
        kind=TillMovementKind.FLOAT,
        amount=amount,
        reason="Opening float",
        actor=acting_user(actor),
        created_at=now,
    )
    return session


def require_open_till(register: Register | None) -> TillSession:
    """The session a cash sale books into; none open refuses the sale."""
    session = open_session_of(register)
    if session is None:
        raise ValidationFailed(NO_OPEN_TILL, code="till_not_open")
    return session


def change_due(*, tendered: Decimal, due: Decimal) -> Decimal:
    """What the customer gets back; tendering less than is due in cash is refused."""
    tendered, due = to_money(tendered), to_money(due)
    if tendered < due:
        raise ValidationFailed(
            f"The customer gave {tendered}, {due} is due in cash.",
            code="tendered_too_low",
            extra={"tendered": [f"At least {due}."]},
        )
    return tendered - due


@transaction.atomic
def book_counter_sale(
    *,
    session: TillSession | int,
    order: Order,
    tendered: Decimal | None,
    actor,
    now: datetime | None = None,
) -> TillMovement | None:
    """Book a counter sale into the session, once per order: the cash it took
    (zero for a card sale), what the customer tendered and the change given. A
    session closed meanwhile refuses cash (the caller's transaction, the sale's own,
    rolls back) and takes no card-only sale (its report is final)."""
    session = _lock_session(session)
    booked = TillMovement.objects.filter(
        order=order, kind=TillMovementKind.SALE
    ).first()
    if booked is not None:
        return booked
    cash = sum(
        (
            p.amount
            for p in Payment.objects.filter(order=order, method=PaymentMethod.CASH)
        ),
        Decimal("0.00"),
    )
    if session.status != TillSessionStatus.OPEN:
        if cash > 0:  # the drawer was counted: its cash is settled
            raise ValidationFailed(NO_OPEN_TILL, code="till_not_open")
        return None
    change = None
    if cash > 0:
        tendered = cash if tendered is None else to_money(tendered)
        change = change_due(tendered=tendered, due=cash)
    else:
        tendered = None
    return TillMovement.objects.create(
        session=session,
        kind=TillMovementKind.SALE,
        amount=cash,
        tendered=tendered,
        change=change,
        order=order,
        reason=f"Sale {order.number}",
        actor=acting_user(actor),
        created_at=now or timezone.now(),
    )


def cash_session(*, location, actor, session=None, paying_out=None) -> TillSession:
    """The open session cash goes into or out of at a counter, locked: the device's
    own (``session``), else the one ``actor`` opened at ``location``, else the
    shop's latest. None open refuses the cash before anything is written, and so
    does ``paying_out`` more than the drawer should hold."""
    if session is None and location is not None:
        session = open_session_at(location, actor=acting_user(actor))
    if session is None:
        raise ValidationFailed(
            NO_TILL_FOR_CASH, code="till_not_open", extra={"till": [NO_TILL_FOR_CASH]}
        )
    session = _lock_session(session)
    if session.status != TillSessionStatus.OPEN:
        raise ValidationFailed(
            NO_TILL_FOR_CASH, code="till_not_open", extra={"till": [NO_TILL_FOR_CASH]}
        )
    if paying_out is not None:
        available = expected_cash(session)
        if paying_out > available:
            message = f"The drawer should hold {available}: {paying_out} cannot go out."
            raise ValidationFailed(
                message, code="cash_out_exceeds_drawer", extra={"till": [message]}
            )
    return session


def book_counter_refund(
    *, refund: Refund, location, actor, session=None
) -> TillMovement | None:
    """A refund given at a shop counter is booked into the open session (the cash
    paid out, zero for other tenders), once. Cash needs an open session (the caller
    checked it with ``cash_session`` before paying out); another tender given where
    no till is open has nothing to book into. Call inside the refund's
    transaction."""
    cash = refund.payment.method == PaymentMethod.CASH
    if cash:
        session = cash_session(location=location, actor=actor, session=session)
    else:
        if session is None and location is not None:
            session = open_session_at(location, actor=acting_user(actor))
        if session is None:
            return None
        session = _lock_session(session)
        if session.status != TillSessionStatus.OPEN:
            return None
    if TillMovement.objects.filter(refund=refund).exists():
        return None
    return TillMovement.objects.create(
        session=session,
        kind=TillMovementKind.REFUND,
        amount=-refund.amount if cash else Decimal("0.00"),
        order_id=refund.payment.order_id,
        refund=refund,
        reason=refund.reason,
        actor=acting_user(actor),
    )


@transaction.atomic
def move_cash(
    *,
    session: TillSession | int,
    kind: str,
    amount: Decimal,
    reason: str,
    actor,
    now: datetime | None = None,
) -> TillMovement:
    """Cash put into or taken out of the drawer, with why; never more out than is
    in it."""
    if kind not in (TillMovementKind.CASH_IN, TillMovementKind.CASH_OUT):
        raise ValidationFailed("Choose cash in or cash out.", extra={"kind": ["?"]})
    amount = to_money(amount)
    if amount <= 0:
        raise ValidationFailed(
            "Enter an amount above zero.", extra={"amount": ["Above zero."]}
        )
    if not (reason or "").strip():
        raise ValidationFailed(
            "Say why the cash moves.", extra={"reason": ["Say why."]}
        )
    session = _lock_session(session)
    _require_open(session)
    if kind == TillMovementKind.CASH_OUT:
        available = expected_cash(session)
        if amount > available:
            raise ValidationFailed(
                f"The drawer should hold {available}: {amount} cannot come out.",
                code="cash_out_exceeds_drawer",
                extra={"amount": [f"At most {available}."]},
            )
        amount = -amount
    return TillMovement.objects.create(
        session=session,
        kind=kind,
        amount=amount,
        reason=reason.strip(),
        actor=acting_user(actor),
        created_at=now or timezone.now(),
    )


@transaction.atomic
def close_till(
    *,
    session: TillSession | int,
    counts: Mapping[Decimal, int],
    actor,
    note: str = "",
    now: datetime | None = None,
) -> TillSession:
    """Close against the counted cash: expected (the ledger) vs counted, the
    difference booked as a close adjustment. Beyond ``OMNISTORE_TILL_TOLERANCE`` the
    close awaits a manager's approval. The row lock and the conditional update make
    a second close of the same session a refusal."""
    if any(int(units) < 0 for units in counts.values()):
        raise ValidationFailed("Counts cannot be negative.", code="negative_count")
    now = now or timezone.now()
    session = _lock_session(session)
    _require_open(session)
    expected = expected_cash(session)
    counted = counted_total(counts)
    difference = counted - expected
    status = (
        TillSessionStatus.AWAITING_APPROVAL
        if abs(difference) > settings.OMNISTORE_TILL_TOLERANCE
        else TillSessionStatus.CLOSED
    )
    closed = TillSession.objects.filter(
        pk=session.pk, status=TillSessionStatus.OPEN
    ).update(
        status=status,
        expected_cash=expected,
        counted_cash=counted,
        closing_count=count_as_json(counts),
        closed_by=acting_user(actor),
        closed_at=now,
        close_note=(note or "").strip()[:250],
    )
    if closed != 1:  # pragma: no cover - the row lock above already serialises
        raise Conflict("This till session is already closed.", code="till_not_open")
    if difference:
        TillMovement.objects.create(
            session=session,
            kind=TillMovementKind.CLOSE_ADJUSTMENT,
            amount=difference,
            reason=f"{'Over' if difference > 0 else 'Short'} at close"
            + (f": {note.strip()}" if (note or "").strip() else ""),
            actor=acting_user(actor),
            created_at=now,
        )
    session.refresh_from_db()
    return session


def can_approve(user, session: TillSession) -> bool:
    """A manager of the session's shop (store or area), or HQ."""
    if not getattr(user, "is_authenticated", False) or not user.is_manager:
        return False
    ids = shop_ids(user)
    return ids is None or session.register.location_id in ids


@transaction.atomic
def approve_close(
    *,
    session: TillSession | int,
    actor,
    note: str,
    now: datetime | None = None,
) -> TillSession:
    """A manager accepts a close whose over/short was beyond the tolerance, saying
    why; an associate cannot."""
    session = _lock_session(session)
    if not can_approve(actor, session):
        raise PermissionDenied("Only a store manager can approve this close.")
    if session.status != TillSessionStatus.AWAITING_APPROVAL:
        raise Conflict(
            "This close does not await approval.", code="till_not_awaiting_approval"
        )
    if not (note or "").strip():
        raise ValidationFailed(
            "Say why the difference is accepted.", extra={"note": ["Say why."]}
        )
    session.status = TillSessionStatus.CLOSED
    session.approved_by = actor
    session.approved_at = now or timezone.now()
    session.approval_note = note.strip()[:250]
    session.save(
        update_fields=["status", "approved_by", "approved_at", "approval_note"]
    )
    return session
