"""Gift cards: issue, spend, refund back, void, adjust, expire (the PIN check is
``giftcard_pins``).

Every movement locks the card row (``select_for_update``), checks, moves the balance
by one UPDATE guarded by ``balance >= amount`` and writes its ledger row in the same
transaction, so parallel spends at several tills and the web queue on the card and
only those the balance covers go through; the database refuses a negative balance
anyway. A ledger ``reference`` is unique: a retried spend or refund books once. A
void or expired card takes no refund (``GiftCardClosed``): the refund goes to store
credit instead (``orders.services.payments``).

"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.hashers import make_password
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import capfirst

from omnistore.approvals.models import ApprovalKind
from omnistore.approvals.policy import approval_needed
from omnistore.approvals.services.approvals import check_approval
from omnistore.core.actors import acting_user
from omnistore.core.dates import end_of_day_after
from omnistore.core.db import moved_by
from omnistore.core.digits import is_digits
from omnistore.core.exceptions import Conflict, ValidationFailed
from orders.models import (
    GiftCard,
    GiftCardKind,
    GiftCardStatus,
    GiftCardTransaction,
    GiftCardTxnKind,
    Order,
    PaymentStatus,
)
from orders.payments.base import (
    ChargeResult,
    PaymentDeclined,
    PaymentProvider,
    RefundResult,
)

from .common import to_money
from .giftcard_pins import authenticate_card, normalize_card_number

logger = logging.getLogger(__name__)

GIFT_CARD_PROVIDER = "gift_card"
CARD_NUMBER_DIGITS = 16
PIN_DIGITS = 6
# A card bought for today, sent as soon as its purchase committed.


def new_card_number() -> str:
    return "".join(secrets.choice("0123456789") for _ in range(CARD_NUMBER_DIGITS))


def new_pin() -> str:
    return "".join(secrets.choice("0123456789") for _ in range(PIN_DIGITS))


# --- Issue ----------------------------------------------------------------------------


def check_pin(pin) -> str:
    """A card's PIN as typed: 4 to 8 digits."""
    pin = str(pin or "").strip()
    if not is_digits(pin) or not 4 <= len(pin) <= 8:
        raise ValidationFailed(
            "A PIN is 4 to 8 digits.", extra={"pin": ["4-8 digits."]}
        )
    return pin


@dataclass(frozen=True)
class IssuedCard:
    card: GiftCard
    pin: str  # shown once (printed on the receipt or emailed), never stored


def check_card_amount(amount, field: str = "amount") -> Decimal:
    try:
        amount = to_money(amount)
    except (ArithmeticError, TypeError, ValueError):
        raise ValidationFailed(
            "Enter an amount.", extra={field: ["Not a number."]}
        ) from None
    limit = settings.OMNISTORE_GIFT_CARD_MAX_AMOUNT
    if amount <= 0 or amount > limit:
        raise ValidationFailed(
            f"A gift card holds between 0.01 and {limit}.",
            extra={field: [f"Between 0.01 and {limit}."]},
        )
    return amount


@transaction.atomic
def issue_gift_card(
    *,
    amount: Decimal,
    currency: str,
    number: str = "",
    pin: str = "",
    pin_hash: str = "",
    kind: str = GiftCardKind.PHYSICAL,
    market=None,
    location=None,
    order: Order | None = None,
    recipient_email: str = "",
    recipient_name: str = "",
    sender_name: str = "",
    message: str = "",
    send_on=None,
    actor=None,
    now: datetime | None = None,
) -> IssuedCard:
    """Activate a card with ``amount`` on it: a physical card's scanned ``number``
    (and the PIN under its scratch strip, when it has one), or a new e-gift card's.
    Valid to the end of the local day ``OMNISTORE_GIFT_CARD_VALID_DAYS`` after the
    day it is issued: the date the card and its email give is good all day.
    ``pin_hash``: the PIN was typed earlier and kept hashed only (a card sold at the
    counter)."""
    now = now or timezone.now()
    amount = check_card_amount(amount)
    number = normalize_card_number(number) or new_card_number()
    if len(number) < 12:
        raise ValidationFailed(
            "Scan the card's number.", extra={"number": ["At least 12 digits."]}
        )
    pin = "" if pin_hash else check_pin(pin or new_pin())
    try:
        with transaction.atomic():
            card = GiftCard.objects.create(
                number=number,
                pin_hash=pin_hash or make_password(pin),
                kind=kind,
                currency=currency,
                market=market,
                initial_amount=amount,
                balance=amount,
                expires_at=end_of_day_after(
                    now, settings.OMNISTORE_GIFT_CARD_VALID_DAYS
                ),
                issued_at=now,
                issued_location=location,
                issued_by=acting_user(actor),
                order=order,
                recipient_email=recipient_email or "",
                recipient_name=(recipient_name or "")[:100],
                sender_name=(sender_name or "").strip()[:100],
                message=(message or "")[:500],
                send_on=send_on,
            )
    except IntegrityError:
        raise ValidationFailed(
            "This card is already active.",
            code="gift_card_active",
            extra={"number": ["This card number is already in use."]},
        ) from None
    _book(
        card,
        GiftCardTxnKind.ISSUE,
        amount,
        f"issue:{card.number}",
        "Issued",
        order=order,
        location=location,
        actor=actor,
        now=now,
    )
    return IssuedCard(card, pin)


# --- Movements ------------------------------------------------------------------------


def _book(
    card,
    kind,
    amount,
    reference,
    reason,
    *,
    order=None,
    location=None,
    actor=None,
    approval=None,
    now=None,
) -> GiftCardTransaction:
    """The ledger row of a movement already applied to ``card.balance``."""
    return GiftCardTransaction.objects.create(
        card=card,
        kind=kind,
        amount=amount,
        balance_after=card.balance,
        currency=card.currency,
        reason=(reason or "")[:250],
        reference=reference[:100],
        order=order,
        location=location,
        actor=acting_user(actor),
        approval=approval,
        created_at=now or timezone.now(),
    )


def _move(card: GiftCard, amount: Decimal) -> None:
    """Apply a signed movement to a locked card: one guarded UPDATE."""
    rows = GiftCard.objects.filter(pk=card.pk)
    if amount < 0:
        rows = rows.filter(balance__gte=-amount)
    if not rows.update(balance=moved_by("balance", amount)):
        raise _short(card, -amount)
    card.balance += amount


def _short(card: GiftCard, amount: Decimal) -> ValidationFailed:
    return ValidationFailed(
        f"The gift card holds {card.balance} {card.currency}; {amount} was asked.",
        code="insufficient_gift_card_balance",
        extra={"gift_card": [f"Balance on the card: {card.balance} {card.currency}."]},
    )


def _closed(card: GiftCard, now: datetime) -> str:
    """Why ``card`` neither pays nor takes money back (void, or past its date), or
    nothing when it is open. The date is the shops' (a card kept with the clock time
    it was issued at still names the day it was valid until)."""
    if card.status != GiftCardStatus.ACTIVE:
        return "is void"
    if card.expires_at <= now:
        return f"expired on {timezone.localdate(card.expires_at):%Y-%m-%d}"
    return ""


def check_usable(card: GiftCard, *, currency: str, now: datetime, field="gift_card"):
    """A card can pay when it is active, in date and in the sale's currency."""
    problem = ""
    closed = _closed(card, now)
    if closed:
        problem = f"This gift card {closed}."
    elif card.currency != currency:
        problem = f"This gift card is in {card.currency}; this sale is in {currency}."
    if problem:
        raise ValidationFailed(
            problem, code="gift_card_unusable", extra={field: [problem]}
        )


def check_gift_card_tender(
    *, number, pin, amount: Decimal, currency: str, now, caller="", lock=False
) -> GiftCard:
    """The card of ``number`` when it can pay ``amount`` in ``currency`` now: its PIN
    (a wrong one counts against the card and ``caller``), open, in the sale's
    currency and holding enough. ``lock``: read ``FOR UPDATE``, to spend from it."""
    card = authenticate_card(number=number, pin=pin, caller=caller, lock=lock)
    check_usable(card, currency=currency, now=now)
    if card.balance < amount:
        raise _short(card, amount)
    return card


def gift_card_share(
    *, number, pin, amount: Decimal, currency: str, now, caller=""
) -> Decimal:
    """What the card of ``number`` pays of ``amount`` when another tender pays the
    rest: all it holds, up to ``amount``. Checked as a spend checks it (its PIN, a
    wrong one counted against the card and ``caller``; open; in ``currency``),
    read without locking: the spend locks and checks again. A card holding nothing
    is refused as short."""
    card = authenticate_card(number=number, pin=pin, caller=caller)
    check_usable(card, currency=currency, now=now)
    if card.balance <= 0:
        raise _short(card, to_money(amount))
    return min(card.balance, to_money(amount))


def spend_gift_card(
    *,
    number: str,
    pin: str,
    amount: Decimal,
    order: Order,
    reference: str,
    caller: str = "",
    location=None,
    actor=None,
    now: datetime | None = None,
) -> ChargeResult:
    """A gift card as a tender, inside the order's transaction (a refused order takes
    nothing off the card)."""
    now = now or timezone.now()
    amount = to_money(amount)
    card = check_gift_card_tender(
        number=number,
        pin=pin,
        amount=amount,
        currency=order.currency,
        caller=caller,
        now=now,
        lock=True,
    )
    _move(card, -amount)
    txn = _book(
        card,
        GiftCardTxnKind.REDEEM,
        -amount,
        f"spend:{reference}",
        f"Order {order.number}",
        order=order,
        location=location,
        actor=actor,
        now=now,
    )
    return ChargeResult(
        provider=GIFT_CARD_PROVIDER,
        reference=txn.reference,
        status=PaymentStatus.CAPTURED,
        amount=amount,
    )


class GiftCardClosed(Conflict):
    """The card a payment came from takes no money back: it is void, or past its
    date (money put back on it could never be spent and would expire again). The
    refund goes elsewhere: ``orders.services.payments`` gives it as store credit."""

    default_code = "gift_card_closed"

    def __init__(self, card: GiftCard, why: str):
        # The card and its state apart, for sentences that say them apart ("the
        # gift card •••• 7099, which is void, ..."); ``why``: both as one clause.
        self.card = f"gift card {card.masked_number}"
        self.state = why
        self.why = f"{self.card} {why}"
        message = f"The {self.why}: it takes no refund."
        super().__init__(message, extra={"gift_card": [message]})


class GiftCardProvider(PaymentProvider):
    """The card's balance as a payment provider: spent at checkout
    (``spend_gift_card``, which checks the PIN); a refund of a gift card payment puts
    the money back on the card it came from, once per refund reference, with who,
    where and why, while the card is active and in date (else ``GiftCardClosed``,
    and nothing moves)."""

    name = GIFT_CARD_PROVIDER

    def charge(
        self,
        *,
        method,
        amount,
        currency,
        token,
        idempotency_key,
        capture=True,
        cart_reference="",
    ):
        raise PaymentDeclined(
            "A gift card is spent with its number and PIN at checkout.",
            extra={"payment": ["Give the gift card as a tender."]},
        )

    @transaction.atomic
    def refund(
        self,
        *,
        provider_reference,
        amount,
        currency,
        idempotency_key,
        reason,
        actor,
        location,
    ):
        reference = f"refund:{idempotency_key}"[:100]
        done = GiftCardTransaction.objects.filter(reference=reference).first()
        if done is None:
            spent = GiftCardTransaction.objects.get(reference=provider_reference)
            card = GiftCard.objects.select_for_update().get(pk=spent.card_id)
            closed = _closed(card, timezone.now())
            if closed:
                raise GiftCardClosed(card, closed)
            _move(card, to_money(amount))
            done = _book(
                card,
                GiftCardTxnKind.REFUND,
                to_money(amount),
                reference,
                capfirst(reason),
                order=spent.order,
                location=location,
                actor=actor,
            )
        return RefundResult(provider=self.name, reference=done.reference, amount=amount)


# --- Void, adjust, expire -----------------------------------------------------------


def _guard(card, *, summary, amount, reason, location, actor, approvals):
    if not approval_needed(ApprovalKind.GIFT_CARD_VOID):
        return None
    return check_approval(
        kind=ApprovalKind.GIFT_CARD_VOID,
        location=location,
        subject=f"gift_card:{card.number}",
        actor=actor,
        summary=summary,
        amount=amount,
        currency=card.currency,
        reason=reason,
        approvals=approvals,
    )


def check_reason(reason: str) -> str:
    """Why a card is moved by hand, as typed: required, kept up to 250 characters."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("Say why.", extra={"reason": ["Required."]})
    return reason[:250]


@transaction.atomic
def void_gift_card(
    *, card: GiftCard | int, reason: str, actor, location=None, approvals=(), now=None
) -> GiftCard:
    """Void a card (lost, stolen, sold by mistake): its balance goes to zero with a
    ledger row, a manager approving. A void card is never usable again."""
    reason = check_reason(reason)
    now = now or timezone.now()
    pk = card.pk if isinstance(card, GiftCard) else card
    card = GiftCard.objects.select_for_update().get(pk=pk)
    if card.status == GiftCardStatus.VOID:
        raise Conflict("This gift card is already void.", code="gift_card_void")
    approval = _guard(
        card,
        summary=f"Void {card} ({card.balance} {card.currency})",
        amount=card.balance,
        reason=reason,
        location=location,
        actor=actor,
        approvals=approvals,
    )
    left = card.balance
    if left:
        _move(card, -left)
        _book(
            card,
            GiftCardTxnKind.VOID,
            -left,
            f"void:{card.number}",
            reason,
            location=location,
            actor=actor,
            approval=approval,
            now=now,
        )
    card.status = GiftCardStatus.VOID
    card.voided_at = now
    card.save(update_fields=["status", "voided_at"])
    _record_void(card, reason=reason, actor=actor, approval=approval, now=now)
    return card


def _record_void(card: GiftCard, *, reason: str, actor, approval, now) -> None:
    """Every void stays in the card's history (who, when, why, whose approval),
    whatever was left on it."""
    note = f"Voided: {reason}"
    if approval is not None:
        note += f" (approval {approval.pk}, given by {approval.decided_by})"
    note_in_card_history(card, note, actor=actor, now=now)


def note_in_card_history(card: GiftCard, note: str, *, actor, now) -> None:
    """A change to ``card`` that moves no money (a void, an unlock), kept in its
    history (the admin's log of the card, on its History page) with who and when:
    the ledger holds movements of money only. Nothing without a person behind it."""
    user = acting_user(actor)
    if user is None:
        return
    LogEntry.objects.create(
        user=user,
        content_type=ContentType.objects.get_for_model(GiftCard),
        object_id=str(card.pk),
        object_repr=str(card),
        action_flag=CHANGE,
        change_message=note,
        action_time=now,
    )


@transaction.atomic
def adjust_gift_card(
    *,
    card: GiftCard | int,
    amount: Decimal,
    reason: str,
    actor,
    location=None,
    approvals=(),
    now=None,
) -> GiftCardTransaction:
    """Correct a card's balance by a signed ``amount`` with a reason, a manager
    approving; the balance never goes below zero."""
    reason = check_reason(reason)
    now = now or timezone.now()
    try:
        amount = to_money(amount)
    except (ArithmeticError, TypeError, ValueError):
        amount = Decimal("0")
    if amount == 0:
        raise ValidationFailed("Enter the change.", extra={"amount": ["Not zero."]})
    pk = card.pk if isinstance(card, GiftCard) else card
    card = GiftCard.objects.select_for_update().get(pk=pk)
    if card.status != GiftCardStatus.ACTIVE:
        raise Conflict("This gift card is void.", code="gift_card_void")
    approval = _guard(
        card,
        summary=f"Adjust {card} by {amount:+} {card.currency}",
        amount=abs(amount),
        reason=reason,
        location=location,
        actor=actor,
        approvals=approvals,
    )
    _move(card, amount)
    if card.balance > settings.OMNISTORE_GIFT_CARD_MAX_AMOUNT:
        raise ValidationFailed(
            "A gift card cannot hold that much.",
            extra={"amount": ["Too much for one card."]},
        )
    return _book(
        card,
        GiftCardTxnKind.ADJUST,
        amount,
        f"adjust:{card.number}:{secrets.token_hex(6)}",
        reason,
        location=location,
        actor=actor,
        approval=approval,
        now=now,
    )


def expire_gift_cards(*, now: datetime | None = None) -> int:
    """Cards past their date lose what is left (breakage), one ledger row each;
    running twice changes nothing (the card is locked and empty by then). Money that
    reached a card after it expired (an adjustment) expires again under a reference
    of its own: the first expiry is ``expire:<number>``, the next ``...:2``. Each
    card is a step of its own: one that fails is logged and left to the next run,
    and the others still expire."""
    now = now or timezone.now()
    count = 0
    due = GiftCard.objects.filter(
        status=GiftCardStatus.ACTIVE, expires_at__lte=now, balance__gt=0
    ).values_list("pk", flat=True)
    for pk in list(due):
        try:
            count += _expire_card(pk, now)
        except Exception:  # this card only: the next run tries it again
            logger.exception("gift cards: expiring card %s failed", pk)
    return count


@transaction.atomic
def _expire_card(pk: int, now: datetime) -> int:
    card = GiftCard.objects.select_for_update().get(pk=pk)
    if card.balance <= 0 or card.expires_at > now:
        return 0
    left = card.balance
    earlier = card.transactions.filter(kind=GiftCardTxnKind.EXPIRE).count()
    reference = f"expire:{card.number}" + (f":{earlier + 1}" if earlier else "")
    _move(card, -left)
    _book(card, GiftCardTxnKind.EXPIRE, -left, reference, "Expired", now=now)
    return 1


def gift_card_balance(
    *, number: str, pin: str, caller: str = "", field: str = "number"
) -> GiftCard:
    """The card for a balance check (the PIN counted like at a till)."""
    return authenticate_card(number=number, pin=pin, caller=caller, field=field)
