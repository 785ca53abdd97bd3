"""The till: open a register's session with a counted float, book counter sales into
it (its refunds: ``orders.services.till_refunds``), move cash in and out, and close
it against a count; a close whose over/short is beyond the tolerance needs a
manager's approval (the one approvals mechanism,
``orders.services.approvals.guard_till_difference``).

Rules kept here:
- a till is a shop's: a warehouse opens none, takes and pays no cash and rings up no
  counter sale (``check_at_a_shop``);
- one open session per register (a partial unique constraint; a second open is
  refused, never a second row);
- every change of the drawer is one ``TillMovement`` (who, when, why), append-only;
- a session's row is locked (``select_for_update``) by every write that books into it
  and by the close, so a close sees every booking before it and two devices closing
  the same session at once make exactly one close;
- money given back at a counter device goes through that device's register
  (``at_counter``): its drawer pays the cash out and its session books the refund;
- cash is handed over in the drawer's own coins: where the smallest is above 0.01
  the cash part is rounded to it (``cash_rounded``) and the rounding booked with it,
  and cash moved in or out is a multiple of it;
- every sale at the counter, by card too, lands on an open session's Z report: a
  closed session takes none, and is not closed while a card payment for it waits
  on the shop's reader (``till_card_waits``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from omnistore.core.actors import acting_user
from omnistore.core.exceptions import (
    Conflict,
    NotFound,
    ValidationFailed,
)
from orders.models import (
    Order,
    Payment,
    PaymentMethod,
    Register,
    TillMovement,
    TillMovementKind,
    TillSession,
    TillSessionStatus,
)
from orders.selectors.credit import credit_currency
from orders.selectors.till import (
    cash_rounded,
    cash_step,
    count_as_json,
    counted_total,
    denominations,
    expected_cash,
    in_coins,
    largest_note,
    open_session_at,
    open_session_of,
    shop_registers,
    till_currency,
)

from .approvals import guard_till_difference
from .common import to_money
from .till_card_waits import refuse_waiting_card

NO_OPEN_TILL = (
    "Open the till first: the till is not open on this register, and every sale at "
    "the counter, by card too, is booked on its Z report. Nothing was sold."
)
NO_REGISTER = (
    "Open the till first: this shop has no register yet, and every sale at the "
    "counter, by card too, is booked on a till's Z report (headquarters adds a "
    "register in the admin). Nothing was sold."
)
TILL_CLOSED = (
    "The till is not open on this register any more: every sale at the counter, by "
    "card too, belongs on an open till's Z report. Nothing was sold."
)
NO_TILL_FOR_CASH = (
    "Cash moves only through an open till: open the till at this shop's counter "
    "first. Nothing was changed."
)
CHOOSE_REGISTER = (
    "This shop has more than one register: choose the one this device is on the "
    "Till page first. Nothing was changed."
)


def check_at_a_shop(location, *, outcome: str = "Nothing was changed.") -> None:
    """Cash is taken and paid, and a sale rung up at a counter, only at a shop: a
    warehouse has no counter and no till, whatever a page or a script asks."""
    if location is not None and not location.is_shop:
        message = (
            f"{location.name} is a warehouse: it has no till and no counter, so no "
            f"cash is taken or paid and no sale is rung up there. {outcome}"
        )
        raise ValidationFailed(message, code="not_a_shop", extra={"till": [message]})


@dataclass(frozen=True)
class _Counter:
    location_id: int
    register: Register | None


_counter: ContextVar[_Counter | None] = ContextVar("orders_till_counter", default=None)


@contextmanager
def at_counter(*, location, register: Register | None) -> Iterator[None]:
    """Money given back inside this block at ``location`` (a return refunded, an
    order cancelled at the desk) goes through ``register``, the device's: its open
    session books the refunds, and its drawer pays the cash out and is the one
    checked for enough cash. ``None``: the device has no register, so cash is
    refused (choose one at a shop with several). Outside such a block (the admin,
    a task) the refund falls back to ``open_session_at``. A scope, like
    ``omnistore.core.replica.on_replica``, so the services between the desk and
    the till need not carry the device."""
    token = _counter.set(_Counter(location.pk, register))
    try:
        yield
    finally:
        _counter.reset(token)


def _counter_session(location, actor) -> TillSession | None:
    """The open session a refund at ``location`` is booked on: the counter
    device's register's, else (no device) ``open_session_at``."""
    counter = _counter.get()
    if counter is not None and counter.location_id == location.pk:
        return open_session_of(counter.register)
    return open_session_at(location, actor=acting_user(actor))


def _must_choose(location, register: Register | None) -> bool:
    """A device at ``location`` using no register must choose one: the shop has
    several (with one, it is the device's without asking)."""
    return register is None and len(shop_registers(location)[:2]) > 1


def _no_till_for_cash(location=None) -> ValidationFailed:
    """Why cash cannot move here: no open till, or (a counter device at a shop with
    several registers) no register chosen."""
    counter = _counter.get()
    unchosen = (
        counter is not None
        and location is not None
        and counter.location_id == location.pk
        and _must_choose(location, counter.register)
    )
    message = CHOOSE_REGISTER if unchosen else NO_TILL_FOR_CASH
    return ValidationFailed(message, code="till_not_open", extra={"till": [message]})


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


def _check_count(counts: Mapping[Decimal, int], currency: str) -> None:
    """A count is of the drawer's own notes and coins, none negative."""
    if any(int(units) < 0 for units in counts.values()):
        raise ValidationFailed("Counts cannot be negative.", code="negative_count")
    foreign = sorted(set(map(Decimal, counts)) - set(denominations(currency)))
    if foreign:
        raise ValidationFailed(
            f"{', '.join(map(str, foreign))} is not a note or coin of {currency}: "
            "count the drawer in its own money.",
            code="not_a_denomination",
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
    check_at_a_shop(register.location, outcome="The till was not opened.")
    currency = till_currency(register.location)
    _check_count(counts, currency)
    now = now or timezone.now()
    amount = counted_total(counts)
    try:
        with transaction.atomic():
            session = TillSession.objects.create(
                register=register,
                currency=currency,
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
    """The session a counter sale books into; none open refuses the sale."""
    session = open_session_of(register)
    if session is None:
        message = NO_OPEN_TILL if register is not None else NO_REGISTER
        raise ValidationFailed(message, code="till_not_open")
    return session


def sale_session(
    *, location, register: Register | None, takes_cash: bool
) -> TillSession | None:
    """The session an exchange's replacement is booked on: the device's register's
    open one. At a shop with several registers the device chooses its own first,
    whatever the tender; a sale taking cash needs the session open. Only a shop
    has a counter (``check_at_a_shop``)."""
    _check_counter(location, register)
    if takes_cash:
        return require_open_till(register)
    return open_session_of(register)


def counter_sale_session(*, location, register: Register | None) -> TillSession:
    """The session a sale rung up at the counter (a phone order's too) is booked
    on, whatever its tender: the device's register's, open. None open refuses the
    sale before anything is charged: every counter sale belongs on a Z report."""
    _check_counter(location, register)
    return require_open_till(register)


def _check_counter(location, register: Register | None) -> None:
    check_at_a_shop(location, outcome="Nothing was sold.")
    if _must_choose(location, register):
        raise ValidationFailed(CHOOSE_REGISTER, code="register_not_chosen")


def lock_open_session(session: TillSession | int) -> TillSession:
    """The counter's session, locked and open, for a card payment about to be sent
    to the reader: a close takes the same lock, so either the close sees the
    payment waiting (``refuse_waiting_card``) or the payment sees the till closed
    and never reaches the reader."""
    session = _lock_session(session)
    if session.status != TillSessionStatus.OPEN:
        raise ValidationFailed(TILL_CLOSED, code="till_not_open")
    return session


def change_due(*, tendered: Decimal, due: Decimal, currency: str = "") -> Decimal:
    """What the customer gets back for the cash ``due`` (rounded to the drawer's
    smallest coin of ``currency``, when given). Tendering less is refused, and so
    is an amount no notes and coins of ``currency`` (the home currency's when none
    is given) make (francs: 62.93, their smallest coin being 0.05), or change above
    its largest note: nobody hands over a note they need not, so such an amount is
    a slip of the keyboard, never change to pay out of the drawer."""
    tendered, due = to_money(tendered), to_money(due)
    if currency:
        due = cash_rounded(due, currency)
    money = currency or settings.OMNISTORE_CURRENCY
    if tendered < due:
        raise ValidationFailed(
            f"The customer gave {tendered} {money}; {due} {money} is due in cash.",
            code="tendered_too_low",
            extra={"tendered": [f"At least {due} {money}."]},
        )
    _check_in_coins(tendered, money, field="tendered", slip="the cash tendered")
    note = largest_note(money)
    if tendered - due > note:
        raise ValidationFailed(
            f"The customer gave {tendered} {money}; {due} {money} is due in cash, "
            f"and no change is more than a {note} {money} note: check the cash "
            "tendered.",
            code="tendered_too_high",
            extra={"tendered": [f"At most {to_money(due + note)} {money}."]},
        )
    return tendered - due


def _check_in_coins(amount: Decimal, money: str, *, field: str, slip: str) -> None:
    """Cash is what the notes and coins of ``money`` make: another amount (62.93
    francs, their smallest coin being 0.05) is refused on ``field``
    (``<field>_not_in_coins``), or a correct count could never balance."""
    if not in_coins(amount, money):
        step = cash_step(money)
        raise ValidationFailed(
            f"Cash is counted in steps of {step} {money}: {amount} {money} cannot "
            f"be handed over. Check {slip}.",
            code=f"{field}_not_in_coins",
            extra={field: [f"A multiple of {step} {money}."]},
        )


@transaction.atomic
def book_counter_sale(
    *,
    session: TillSession | int,
    order: Order,
    tendered: Decimal | None,
    actor,
    now: datetime | None = None,
) -> TillMovement:
    """Book a counter sale into the session, once per order: the cash it took
    (zero for a card sale; rounded to the drawer's smallest coin, the rounding
    booked beside it), what the customer tendered and the change given. A
    session closed meanwhile refuses the sale, by card alone too (the caller's
    transaction, the sale's own, rolls back; a card the reader took is given
    back): its report is final. A sale in another currency than the drawer's is
    refused whatever its tender: a session's sums never add two currencies."""
    session = _lock_session(session)
    if order.currency != session.currency:
        message = (
            f"This till holds {session.currency}; this sale is in {order.currency}: "
            "it can be rung up only at a shop that sells in "
            f"{order.currency}. Nothing was sold."
        )
        raise ValidationFailed(message, code="till_currency", extra={"till": [message]})
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
        raise ValidationFailed(TILL_CLOSED, code="till_not_open")
    change, paid = None, cash_rounded(cash, session.currency)
    if cash > 0:
        tendered = paid if tendered is None else to_money(tendered)
        change = change_due(tendered=tendered, due=cash, currency=session.currency)
    else:
        tendered = None
    return TillMovement.objects.create(
        session=session,
        kind=TillMovementKind.SALE,
        amount=paid,
        rounding=paid - cash,
        tendered=tendered,
        change=change,
        order=order,
        reason=f"Sale {order.number}",
        actor=acting_user(actor),
        created_at=now or timezone.now(),
    )


def cash_session(
    *, location, actor, session=None, paying_out=None, currency=None
) -> TillSession:
    """The open session cash goes into or out of at a counter, locked: the device's
    own (``session``, or its register's inside ``at_counter``), else (no device)
    the one ``actor`` opened at ``location``, else the shop's latest. None open
    refuses the cash before anything is written, and so do ``paying_out`` more
    than that drawer should hold and cash in a ``currency`` the drawer does not
    hold (its sums never add two currencies). A warehouse has no till: its cash is
    refused whatever session is named (``check_at_a_shop``)."""
    session = _lock_session(_session_for_cash(location, actor, session))
    _check_cash(session, paying_out, currency)
    return session


def cash_refusal(
    *, location, actor, paying_out=None, currency=None
) -> ValidationFailed | None:
    """What ``cash_session`` would refuse at ``location`` now (a ``ValidationFailed``;
    None: nothing), read without locking for a page that says up front what its
    counter cannot pay out."""
    try:
        _check_cash(_session_for_cash(location, actor, None), paying_out, currency)
    except ValidationFailed as refusal:
        return refusal
    return None


def _session_for_cash(location, actor, session) -> TillSession:
    check_at_a_shop(location)
    if session is None and location is not None:
        session = _counter_session(location, actor)
    if session is None:
        raise _no_till_for_cash(location)
    return session


def _check_cash(session: TillSession, paying_out, currency) -> None:
    if session.status != TillSessionStatus.OPEN:
        raise _no_till_for_cash()
    if currency and currency != session.currency:
        message = _other_cash_refusal(session.currency, currency)
        raise ValidationFailed(message, code="till_currency", extra={"till": [message]})
    if paying_out is not None:
        available = expected_cash(session)
        if paying_out > available:
            message = f"The drawer should hold {available}: {paying_out} cannot go out."
            raise ValidationFailed(
                message, code="cash_out_exceeds_drawer", extra={"till": [message]}
            )


def _other_cash_refusal(held: str, currency: str) -> str:
    """Why cash paid in ``currency`` cannot come out of a drawer holding ``held``,
    and what can be done instead: cash at a shop whose drawer holds it, or store
    credit here only where credit is kept in that currency (``credit_currency``:
    the store-credit refusal says the same)."""
    home = credit_currency()
    instead = (
        ", or as store credit here"
        if currency == home
        else f"; store credit is kept in {home} and cannot take it"
    )
    return (
        f"This till holds {held}: cash paid in {currency} is refunded in cash at a "
        f"shop that takes {currency}{instead}. Nothing was refunded."
    )


def counter_session_to_book(*, location, actor, session=None) -> TillSession | None:
    """The open session, locked, that a booking at ``location`` without cash goes
    into: the device's (``session``, or its register's inside ``at_counter``), else
    ``open_session_at``; None when no till is open there to take it."""
    if session is None and location is not None:
        session = _counter_session(location, actor)
    if session is None:
        return None
    session = _lock_session(session)
    return session if session.status == TillSessionStatus.OPEN else None


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
    in it, never more in at once than ``OMNISTORE_TILL_CASH_IN_MAX`` (change from
    the bank, a float top-up: a bigger amount is a typo, not a drawer's cash), and
    only what the drawer's notes and coins make (``_check_in_coins``)."""
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
    _check_in_coins(amount, session.currency, field="amount", slip="the amount")
    ceiling = settings.OMNISTORE_TILL_CASH_IN_MAX
    if kind == TillMovementKind.CASH_IN and ceiling is not None and amount > ceiling:
        ceiling = to_money(ceiling)
        raise ValidationFailed(
            f"At most {ceiling} goes into the drawer at once: {amount} cannot.",
            code="cash_in_above_limit",
            extra={"amount": [f"At most {ceiling}."]},
        )
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
    approvals: Sequence = (),
    now: datetime | None = None,
) -> TillSession:
    """Close against the counted cash: expected (the ledger) vs counted, the
    difference booked as a close adjustment. Beyond ``OMNISTORE_TILL_TOLERANCE`` an
    associate's close needs a manager's approval (``approvals``), kept on the
    session. The row lock and the conditional update make a second close of the same
    session a refusal, and a card payment waiting for this session refuses it."""
    now = now or timezone.now()
    session = _lock_session(session)
    _require_open(session)
    refuse_waiting_card(session, now=now)
    _check_count(counts, session.currency)
    expected = expected_cash(session)
    counted = counted_total(counts)
    difference = counted - expected
    approval = guard_till_difference(
        session=session,
        difference=difference,
        counted=counted,
        actor=actor,
        note=note,
        approvals=approvals,
        now=now,
    )
    closed = TillSession.objects.filter(
        pk=session.pk, status=TillSessionStatus.OPEN
    ).update(
        status=TillSessionStatus.CLOSED,
        expected_cash=expected,
        counted_cash=counted,
        closing_count=count_as_json(counts),
        closed_by=acting_user(actor),
        closed_at=now,
        close_note=(note or "").strip()[:250],
        **_approved_by(approval),
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


def _approved_by(approval) -> dict:
    """Who approved the close, when, and what the manager said: the associate's
    own words (the request's reason) are the close note already, never the
    manager's."""
    if approval is None:
        return {}
    return {
        "approved_by_id": approval.decided_by_id,
        "approved_at": approval.decided_at,
        "approval_note": approval.decision_note[:250],
    }
