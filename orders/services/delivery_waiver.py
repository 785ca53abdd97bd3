"""A delivery fee waived by the shop that takes the order: a goodwill gesture (a late
parcel, a complaint) on a sale sent to the customer's home, taken at a shop's counter
or on its phone line.

- Staff waive it on the sale screen, with a reason (``waive_delivery_fee``); an
  associate's waiver waits for a manager's approval
  (``OMNISTORE_APPROVAL_DELIVERY_FEE_WAIVER``, ``guard_delivery_fee_waiver``), used
  then, for that basket and up to the fee the manager saw; a manager's own is
  recorded as theirs. The sale holds the ``FeeWaiver`` until it is paid: undone
  meanwhile, the fee is charged again.
- Checkout takes it only from a staff sale delivered home (``checked_waiver``): the
  storefront never passes one, and one passed on any other channel, or without the
  approval it names, is refused. The fee is then not charged (``fee_after_waiver``);
  a fee grown past the waiver is refused with the reason.
- The order keeps what was waived, in its currency, who waived it, the approval and
  why (``DeliveryFeeWaiver``), and its history says it (``record_fee_waiver``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.db import transaction

from omnistore.approvals.models import Approval, ApprovalKind, ApprovalStatus
from omnistore.approvals.policy import approval_needed
from omnistore.core.actors import acting_user
from omnistore.core.channels import Channel
from omnistore.core.exceptions import Conflict, ValidationFailed
from orders.models import Cart, DeliveryFeeWaiver, FulfilmentMethod, Order
from orders.pricing import ZERO

from .approvals import approved_by_note, fee_waiver_subject, guard_delivery_fee_waiver
from .carts import check_cart_changeable

# Where a waiver may come from: a sale staff take for a shop, at its counter or on
# its phone line.
WAIVING_CHANNELS = (Channel.STORE, Channel.PHONE)
REASON_MAX = 200
# What a waiver adds to the note of the order's placing: the rest of its 250
# characters, after "Placed via <channel>".
NOTE_ROOM = 225


@dataclass(frozen=True)
class FeeWaiver:
    """A waiver a sale holds until it is paid: the fee waived as it was shown (and
    approved), in ``currency``, why, and the manager's approval that let it through
    (None where none was asked)."""

    amount: Decimal
    currency: str
    reason: str
    approval_id: int | None = None

    def as_json(self) -> dict:
        return {
            "amount": str(self.amount),
            "currency": self.currency,
            "reason": self.reason,
            "approval_id": self.approval_id,
        }

    @classmethod
    def from_json(cls, data) -> FeeWaiver | None:
        """The waiver kept as ``as_json`` wrote it; None for anything else."""
        try:
            approval = data.get("approval_id")
            return cls(
                amount=Decimal(str(data["amount"])),
                currency=str(data["currency"]),
                reason=str(data["reason"]),
                approval_id=None if approval is None else int(approval),
            )
        except (AttributeError, InvalidOperation, KeyError, TypeError, ValueError):
            return None

    def outgrown_by(self, fee: Decimal, currency: str) -> str:
        """Why this waiver does not cover a delivery ``fee`` in ``currency`` ("" when
        it does): a fee above the one waived (the address moved to a dearer
        market) was never approved."""
        if currency == self.currency and fee <= self.amount:
            return ""
        return (
            f"The delivery fee is now {fee} {currency}, more than the {self.amount} "
            f"{self.currency} waived: waive it again or undo the waiver."
        )


@dataclass(frozen=True)
class WaivedFee:
    """A waiver checked against the sale that carries it: who waives (the staff
    member taking the sale) and the approval row; ``amount`` is what checkout
    waives of the fee."""

    waiver: FeeWaiver
    waived_by: object
    approval: Approval | None
    amount: Decimal = ZERO


def _check_sale(*, channel: str, method: str, actor, location) -> object:
    """The staff member waiving, on a sale that may waive a delivery fee: taken by
    staff for a shop, delivered home."""
    user = acting_user(actor)
    if (
        channel not in WAIVING_CHANNELS
        or user is None
        or not user.is_store_staff
        or location is None
    ):
        message = (
            "Only a sale taken by a shop, at its counter or on its phone line, "
            "waives its delivery fee."
        )
        raise ValidationFailed(
            message,
            code="delivery_waiver_not_allowed",
            extra={"delivery_waiver": [message]},
        )
    if method != FulfilmentMethod.DELIVERY:
        message = (
            "Only a sale delivered home pays a delivery fee: a pickup or a sale "
            "taken now has none to waive."
        )
        raise ValidationFailed(
            message, code="delivery_waiver_not_delivered", extra={"mode": [message]}
        )
    return user


def _checked_reason(reason: str) -> str:
    reason = (reason or "").strip()[:REASON_MAX]
    if not reason:
        raise ValidationFailed(
            "Say why the delivery fee is waived.",
            code="delivery_waiver_reason",
            extra={"reason": ["Say why."]},
        )
    return reason


@transaction.atomic
def waive_delivery_fee(
    *,
    cart: Cart | None,
    channel: str,
    method: str,
    fee: Decimal | None,
    currency: str,
    country: str,
    reason: str,
    actor,
    location,
    approvals: Iterable = (),
    now: datetime | None = None,
) -> FeeWaiver:
    """Waive the delivery ``fee`` the sale's basket shows (in ``currency``, to
    ``country``), saying why: the waiver the sale holds until it is paid. A
    manager's own is approved by them; an associate's waits for a manager
    (``ApprovalRequired``, nothing changed). Not while the card reader waits for
    the basket, nor on a delivery that travels free."""
    _check_sale(channel=channel, method=method, actor=actor, location=location)
    reason = _checked_reason(reason)
    if cart is None or not fee or fee <= 0:
        message = (
            "This delivery travels free: there is no fee to waive."
            if fee is not None
            else "This sale shows no delivery fee to waive."
        )
        raise ValidationFailed(
            message, code="delivery_waiver_no_fee", extra={"delivery_waiver": [message]}
        )
    check_cart_changeable(cart)
    approval = guard_delivery_fee_waiver(
        cart=cart,
        fee=fee,
        currency=currency,
        country=country,
        location=location,
        actor=actor,
        reason=reason,
        approvals=approvals,
        now=now,
    )
    return FeeWaiver(fee, currency, reason, approval.pk if approval else None)


def _approval(waiver: FeeWaiver, *, user, location, cart: Cart | None):
    """The approval ``waiver`` names, as the guard used it: a delivery fee waiver
    for this basket, at this shop, asked by ``user`` (or their own), for at least
    the fee waived, and not on any order yet. None where none was needed."""
    if waiver.approval_id is None:
        if approval_needed(ApprovalKind.DELIVERY_FEE_WAIVER):
            raise _no_approval()
        return None
    if cart is None:
        raise _no_approval()
    approval = (
        Approval.objects.select_related("decided_by")
        .filter(
            pk=waiver.approval_id,
            kind=ApprovalKind.DELIVERY_FEE_WAIVER,
            status=ApprovalStatus.USED,
            location=location,
            requested_by=user,
            subject=fee_waiver_subject(cart),
            currency=waiver.currency,
            amount__gte=waiver.amount,
            delivery_fee_waiver__isnull=True,
        )
        .first()
    )
    if approval is None:
        raise _no_approval()
    return approval


def _no_approval() -> Conflict:
    message = "The delivery fee waiver has no manager's approval: waive it again."
    return Conflict(
        message, code="delivery_waiver_unapproved", extra={"delivery_waiver": [message]}
    )


def checked_waiver(
    waiver: FeeWaiver | None, channel: str, method: str, staff, location, cart
) -> WaivedFee | None:
    """The waiver a checkout was sent, checked before anything is written: only a
    sale ``staff`` take for the shop ``location`` on ``channel``, delivered home
    (``method``), with a reason and the approval it names for ``cart`` (one
    query). None without one."""
    if waiver is None:
        return None
    user = _check_sale(channel=channel, method=method, actor=staff, location=location)
    _checked_reason(waiver.reason)
    approval = _approval(waiver, user=user, location=location, cart=cart)
    return WaivedFee(waiver, user, approval)


def fee_after_waiver(
    waived: WaivedFee | None, fee: Decimal, currency: str
) -> tuple[Decimal, WaivedFee | None]:
    """What the sale pays of its delivery ``fee`` (``sale_delivery_fee``, in
    ``currency``) and what its waiver takes off: all of it, when the waiver covers
    it (``FeeWaiver.outgrown_by``: else refused, nothing charged); nothing to waive
    when it travels free."""
    if waived is None or not fee:
        return fee, None
    outgrown = waived.waiver.outgrown_by(fee, currency)
    if outgrown:
        raise Conflict(
            outgrown,
            code="delivery_waiver_outgrown",
            extra={"delivery_waiver": [outgrown]},
        )
    return ZERO, replace(waived, amount=fee)


def record_fee_waiver(waived: WaivedFee | None, order: Order, *, now: datetime) -> str:
    """Keep the fee ``order`` did not pay, in its currency, with who waived it, the
    approval and why (in the order's transaction; one approval waives one order's
    fee). Returns what the note of the order's placing adds: the fee waived, why,
    and the manager who approved it ("" when nothing was waived)."""
    if waived is None:
        return ""
    DeliveryFeeWaiver.objects.create(
        order=order,
        amount=waived.amount,
        currency=order.currency,
        reason=waived.waiver.reason,
        waived_by=waived.waived_by,
        approval=waived.approval,
        waived_at=now,
    )
    start = f" · delivery fee {waived.amount} {order.currency} waived: "
    approved = approved_by_note(waived.approval)
    room = max(NOTE_ROOM - len(start) - len(approved), 0)
    return f"{start}{waived.waiver.reason[:room]}{approved}"[:NOTE_ROOM]
