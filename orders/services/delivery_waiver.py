"""A delivery fee waived by the shop that takes the order: a goodwill gesture (a late
parcel, a complaint) on a sale sent to the customer's home, taken at a shop's counter
or on its phone line.

- Staff waive it on the sale screen, with a reason (``waive_delivery_fee``), for
  the sale as it is: its customer and its goods. An associate's waiver waits for a
  manager's approval (``OMNISTORE_APPROVAL_DELIVERY_FEE_WAIVER``,
  ``fee_waiver_ask``: the manager reads whose sale, of how much, and the fee); a
  manager's own needs no one. The sale holds the ``FeeWaiver`` until it is paid:
  undone meanwhile, or the sale cleared, or its customer or goods changed, the fee
  is charged again and the yes it went with is withdrawn (``withdraw_fee_waiver``).
- Checkout takes it only from a staff sale delivered home (``checked_waiver``): the
  storefront never passes one, and one passed on any other channel, without the
  approval it names, or for another customer or other goods, is refused. The fee
  is then not charged (``fee_after_waiver``); a fee grown past the waiver is refused
  with the reason.
- The yes stays approved until the order's transaction uses it, once, under its
  row lock (``record_fee_waiver``; a manager's own is recorded then): no approval
  reads "done" for a waiver no order carries. The order keeps what was waived, in
  its currency, who waived it, the approval and why (``DeliveryFeeWaiver``), and its
  history says it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.utils import timezone

from omnistore.approvals.models import Approval, ApprovalKind, ApprovalStatus
from omnistore.approvals.policy import approval_needed
from omnistore.approvals.selectors.approvals import can_approve, is_usable
from omnistore.approvals.services.approvals import (
    ApprovalRequired,
    Ask,
    cancel_approval,
)
from omnistore.core.actors import acting_user
from omnistore.core.channels import ASSISTED_CHANNELS
from omnistore.core.exceptions import Conflict, NotFound, ValidationFailed
from orders.models import Cart, DeliveryFeeWaiver, FulfilmentMethod, Order
from orders.pricing import ZERO

from .approvals import approved_by_note, fee_waiver_ask, guard_delivery_fee_waiver
from .carts import check_cart_changeable

# Where a waiver may come from: a sale staff take for a shop, at its counter or on
# its phone line.
WAIVING_CHANNELS = ASSISTED_CHANNELS
REASON_MAX = 200
# What a waiver adds to the note of the order's placing: the rest of its 250
# characters, after "Placed via <channel>".
NOTE_ROOM = 225


@dataclass(frozen=True)
class FeeWaiver:
    """A waiver a sale holds until it is paid: the fee waived as it was shown (and
    approved), in ``currency``, why, and the sale it was waived for, as the manager
    read it: its customer (``customer_id``, None while none is attached or for a
    profile checkout makes; ``customer``, their name as staff saw it), its goods'
    total at the sale's prices (``goods``) and where it goes (``country``). With
    the manager's yes it goes with (``approval_id``; None where no one is asked, a
    manager's own included: recorded by the order)."""

    amount: Decimal
    currency: str
    reason: str
    goods: Decimal
    country: str
    customer_id: int | None = None
    customer: str = ""
    approval_id: int | None = None

    def as_json(self) -> dict:
        return {
            "amount": str(self.amount),
            "currency": self.currency,
            "reason": self.reason,
            "goods": str(self.goods),
            "country": self.country,
            "customer_id": self.customer_id,
            "customer": self.customer,
            "approval_id": self.approval_id,
        }

    @classmethod
    def from_json(cls, data) -> FeeWaiver | None:
        """The waiver kept as ``as_json`` wrote it; None for anything else."""
        try:
            approval, customer = data.get("approval_id"), data.get("customer_id")
            return cls(
                amount=Decimal(str(data["amount"])),
                currency=str(data["currency"]),
                reason=str(data["reason"]),
                goods=Decimal(str(data["goods"])),
                country=str(data["country"]),
                customer_id=None if customer is None else int(customer),
                customer=str(data.get("customer") or ""),
                approval_id=None if approval is None else int(approval),
            )
        except (AttributeError, InvalidOperation, KeyError, TypeError, ValueError):
            return None

    def ask(self, cart: Cart, location) -> Ask:
        """What the manager read of this waiver (``fee_waiver_ask``)."""
        return fee_waiver_ask(
            cart=cart,
            location=location,
            fee=self.amount,
            currency=self.currency,
            country=self.country,
            customer=self.customer,
            goods=self.goods,
            reason=self.reason,
        )

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

    def for_another_sale(self, *, customer_id: int | None, goods: Decimal) -> str:
        """Why this waiver is not for the sale as it is now ("" when it is): the
        customer it has (``customer_id``: the profile checkout reaches, None for
        none) is not the one it was waived for, or its goods (their total at the
        sale's prices) changed since: the manager read whose sale, and of how much."""
        if customer_id != self.customer_id:
            return (
                "The delivery fee was waived when the sale had another customer: "
                "waive it again for this one."
            )
        if goods != self.goods:
            return (
                f"The delivery fee was waived on goods of {self.goods} "
                f"{self.currency}; they now come to {goods} {self.currency}: waive "
                "it again."
            )
        return ""


@dataclass(frozen=True)
class WaivedFee:
    """A waiver checked against the sale that carries it: who waives (the staff
    member taking the sale), what the manager read of it (``ask``) at the shop
    ``location``; ``amount`` is what checkout waives of the fee."""

    waiver: FeeWaiver
    waived_by: object
    ask: Ask
    location: object
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


def waive_delivery_fee(
    *,
    cart: Cart | None,
    channel: str,
    method: str,
    fee: Decimal | None,
    currency: str,
    country: str,
    goods: Decimal,
    customer_id: int | None,
    customer: str,
    reason: str,
    actor,
    location,
    approvals: Iterable = (),
    now: datetime | None = None,
) -> FeeWaiver:
    """Waive the delivery ``fee`` the sale's basket shows (in ``currency``, to
    ``country``), saying why: the waiver the sale holds until it is paid, for its
    goods as they are (``goods``, their total at the sale's prices) and its customer
    (``customer_id``, None for none or a profile checkout makes; ``customer``, their
    name as staff see it). A manager's own needs no one; an associate's goes with a
    manager's yes to this very waiver among ``approvals``, else waits for one
    (``ApprovalRequired``). Nothing is written: the order uses the yes. Not while
    the card reader waits for the basket, nor on a delivery that travels free."""
    user = _check_sale(channel=channel, method=method, actor=actor, location=location)
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
    waiver = FeeWaiver(
        amount=fee,
        currency=currency,
        reason=reason,
        goods=goods,
        country=country,
        customer_id=customer_id,
        customer=(customer or "").strip(),
    )
    if not _asks_a_manager(user, location):
        return waiver
    ask = waiver.ask(cart, location)
    approval = _yes(ask, approvals, user=user, key="", now=now or timezone.now())
    if approval is None:
        raise ApprovalRequired(ask)
    return replace(waiver, approval_id=approval.pk)


def _asks_a_manager(user, location) -> bool:
    """Whether ``user``'s waiver waits for a manager's yes: the setting asks, and
    they may not approve at this shop (a manager's own is recorded as theirs when
    the order takes it)."""
    return approval_needed(ApprovalKind.DELIVERY_FEE_WAIVER) and not can_approve(
        user, location.pk
    )


def _yes(ask: Ask, ids: Iterable, *, user, key: str, now: datetime):
    """The manager's yes a waiver goes with, read and not used (the order uses it):
    among ``ids``, ``user``'s request for this very waiver (all the manager read:
    ``ask``, for at least its fee), approved and unexpired. Or, for the same sale
    sent again under its idempotency ``key``, the yes its first order used: that
    order comes back. None when there is none."""
    wanted = []
    for value in ids or ():
        try:
            wanted.append(int(value))
        except (TypeError, ValueError):
            continue
    if not wanted:
        return None
    rows = Approval.objects.select_related("delivery_fee_waiver__order").filter(
        pk__in=wanted,
        kind=ask.kind,
        location_id=ask.location_id,
        subject=ask.subject,
        summary=ask.summary,
        reason=ask.reason,
        currency=ask.currency,
        amount__gte=ask.amount,
        requested_by=user,
    )
    for row in rows.order_by("-pk"):
        if is_usable(row, now=now) or (key and _used_by(row) == key):
            return row
    return None


def _used_by(approval: Approval) -> str | None:
    """The idempotency key of the order whose fee ``approval`` waived, if any."""
    if approval.status != ApprovalStatus.USED:
        return None
    waived = getattr(approval, "delivery_fee_waiver", None)
    return waived.order.idempotency_key if waived is not None else None


def _no_approval() -> Conflict:
    message = "The delivery fee waiver has no manager's approval: waive it again."
    return Conflict(
        message, code="delivery_waiver_unapproved", extra={"delivery_waiver": [message]}
    )


def _other_sale(message: str) -> Conflict:
    return Conflict(
        message, code="delivery_waiver_other_sale", extra={"delivery_waiver": [message]}
    )


def withdraw_fee_waiver(
    waiver: FeeWaiver | None, *, actor, now: datetime | None = None
) -> None:
    """The sale lets its waiver go (undone, the sale cleared, its customer or its
    lines changed): the manager's yes it went with, not used by any order, is
    withdrawn by the associate who asked (``cancel_approval``, who and when kept),
    rather than left approved for a waiver no sale holds. One used or ended stays
    as it ended; another's request is theirs to withdraw."""
    if waiver is None or waiver.approval_id is None:
        return
    try:
        cancel_approval(approval=waiver.approval_id, actor=actor, now=now)
    except NotFound:
        return


def checked_waiver(
    waiver: FeeWaiver | None,
    channel: str,
    method: str,
    staff,
    location,
    cart,
    key: str = "",
) -> WaivedFee | None:
    """The waiver a checkout was sent, checked before anything is written: only a
    sale ``staff`` take for the shop ``location`` on ``channel``, delivered home
    (``method``), with a reason, for its basket ``cart``, and the manager's yes it
    names where one is asked (approved and unused, or used by the order placed
    under this idempotency ``key``: a replay). Its customer and goods are checked
    with the price (``fee_after_waiver``). None without one."""
    if waiver is None:
        return None
    user = _check_sale(channel=channel, method=method, actor=staff, location=location)
    _checked_reason(waiver.reason)
    if cart is None:
        raise _other_sale(
            "The delivery fee was waived on another sale: waive it again."
        )
    ask = waiver.ask(cart, location)
    if _asks_a_manager(user, location):
        ids = [waiver.approval_id] if waiver.approval_id is not None else []
        if _yes(ask, ids, user=user, key=key, now=timezone.now()) is None:
            raise _no_approval()
    return WaivedFee(waiver, user, ask, location)


def fee_after_waiver(
    waived: WaivedFee | None,
    fee: Decimal,
    currency: str,
    *,
    goods: Decimal,
    buyer=lambda: None,
) -> tuple[Decimal, WaivedFee | None]:
    """What the sale pays of its delivery ``fee`` (``sale_delivery_fee``, in
    ``currency``) and what its waiver takes off: all of it, when the waiver is
    this sale's (``FeeWaiver.for_another_sale``: its ``goods`` at the sale's prices,
    and the customer ``buyer`` gives) and covers the fee (``FeeWaiver.outgrown_by``);
    else refused, nothing charged. Nothing to waive when it travels free."""
    if waived is None or not fee:
        return fee, None
    customer = buyer()
    other = waived.waiver.for_another_sale(
        customer_id=customer.pk if customer is not None else None, goods=goods
    )
    if other:
        raise _other_sale(other)
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
    approval and why, in the order's transaction: the manager's yes is used now,
    once, under its row lock (``guard_delivery_fee_waiver``; a manager's own is
    recorded as theirs), so an approval waives one order's fee and one used, lapsed
    or withdrawn meanwhile refuses the order. Returns what the note of the order's
    placing adds: the fee waived, why, and the manager who approved it ("" when
    nothing was waived)."""
    if waived is None:
        return ""
    given = waived.waiver.approval_id
    try:
        approval = guard_delivery_fee_waiver(
            ask=waived.ask,
            location=waived.location,
            actor=waived.waived_by,
            approvals=[given] if given is not None else [],
            now=now,
        )
    except Conflict:
        raise _no_approval() from None
    DeliveryFeeWaiver.objects.create(
        order=order,
        amount=waived.amount,
        currency=order.currency,
        reason=waived.waiver.reason,
        waived_by=waived.waived_by,
        approval=approval,
        waived_at=now,
    )
    start = f" · delivery fee {waived.amount} {order.currency} waived: "
    approved = approved_by_note(approval)
    room = max(NOTE_ROOM - len(start) - len(approved), 0)
    return f"{start}{waived.waiver.reason[:room]}{approved}"[:NOTE_ROOM]
