"""The order lifecycle: picked, ready, shipped, delivered, cancelled.

An order row is locked before its status changes; lock order is (at a counter, its
till's session →) order → customer → stock rows.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from customers.models import Customer
from customers.services.loyalty import reverse_points
from inventory.models import (
    Location,
    MovementReason,
    Reservation,
    ReservationStatus,
    TransferStatus,
)
from inventory.services.reservations import consume_reservations, release_reservations
from inventory.services.transfers import cancel_transfer
from omnistore.core.actors import acting_user
from omnistore.core.dates import end_of_day_after
from omnistore.core.exceptions import Conflict, IllegalTransition
from orders.models import (
    ORDER_MOVES,
    Fulfilment,
    FulfilmentMethod,
    FulfilmentStatus,
    Order,
    OrderLine,
    OrderStatus,
    OrderStatusChange,
)

from .approvals import approved_by_note
from .common import (
    CODE_ALPHABET,
    ORDER_REFERENCE,
    PICKUP_CODE_LENGTH,
    lock_order,
    order_webhook,
    record_order_event,
    send_order_email,
)
from .counter_locks import lock_counter
from .delivery_day import check_delivery_day
from .discounts import release_discount
from .invoices import credit_cancelled_order
from .parts import (
    active_parts,
    awaits_transfer,
    check_parcel,
    hold_arrived,
    nothing_to_pick,
    nothing_to_ship,
    part_said,
    record_parcel_left,
    record_part_step,
    refund_lines,
    to_pick,
    to_ship,
    with_said,
)
from .payment_lapses import recording_lapsed_holds
from .payments import (
    cancellation_refund,
    capture_order_payments,
    settle_cancelled_order_payments,
)
from .refund_cash import guard_cancel_refund
from .sizes import relearn_sizes_later

EVENT_ORDER_PICKED = "order_picked"
EVENT_ORDER_READY = "order_ready"
EVENT_ORDER_SHIPPED = "order_shipped"
EVENT_ORDER_DELIVERED = "order_delivered"
EVENT_ORDER_CANCELLED = "order_cancelled"


# The fulfilment method a forward step of the order state machine (``ORDER_MOVES``)
# belongs to: a delivery is never "ready", a pickup never "shipped". Staff screens ask
# ``can_move`` which buttons to show; the services refuse every other move.
STEP_METHOD: dict[str, str] = {
    OrderStatus.READY: FulfilmentMethod.PICKUP,
    OrderStatus.COLLECTED: FulfilmentMethod.PICKUP,
    OrderStatus.SHIPPED: FulfilmentMethod.DELIVERY,
    OrderStatus.DELIVERED: FulfilmentMethod.DELIVERY,
}


def can_move(order: Order, target: str) -> bool:
    """Whether ``order`` may move to ``target`` now (its status and its method)."""
    method = STEP_METHOD.get(target)
    return target in ORDER_MOVES.get(order.status, ()) and (
        method is None or order.fulfilment_method == method
    )


def _new_pickup_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(PICKUP_CODE_LENGTH))


def transition_order(
    order: Order,
    target: str,
    *,
    actor,
    now: datetime,
    note: str = "",
    location: Location | None = None,
) -> None:
    if target not in ORDER_MOVES.get(order.status, ()):
        raise IllegalTransition(
            obj=f"Order {order.number}", current=order.status, target=target
        )
    method = STEP_METHOD.get(target)
    if method is not None and order.fulfilment_method != method:
        raise IllegalTransition(
            obj=f"{order.get_fulfilment_method_display()} order {order.number}",
            current=order.status,
            target=target,
        )
    history_from = order.status
    OrderStatusChange.objects.create(
        order=order,
        from_status=order.status,
        to_status=target,
        actor=acting_user(actor),
        location=location,
        at=now,
        note=(note or "")[:250],
    )
    order.status = target
    order.updated_at = now
    order_webhook(order, "status_changed", previous=history_from)


def order_reservations(order: Order):
    return Reservation.objects.filter(
        reference_type=ORDER_REFERENCE,
        reference_id=order.number,
        status=ReservationStatus.ACTIVE,
    )


@transaction.atomic
def mark_picked(
    *,
    order: Order | int,
    actor=None,
    location: Location | None = None,
    note: str = "",
    now: datetime | None = None,
) -> Order:
    """``location`` takes its part of the order off its shelves: what is sourced
    there, or what a transfer brought there for a pickup (without ``location``, every
    part still to pick). The order is picked with its first part; a later part leaves
    it picked and is written in its history. Goods a transfer brought were held at the
    pickup shop as they arrived (what is not held yet is held now); a transfer still
    on its way refuses."""
    now = now or timezone.now()
    order = lock_order(order)
    parts = active_parts(order)
    picking = to_pick(parts, location)
    if order.status not in (OrderStatus.PLACED, OrderStatus.PICKED) or not picking:
        if order.status == OrderStatus.PLACED and location is not None:
            raise nothing_to_pick(order, location)
        _refuse(order, OrderStatus.PICKED)
    waiting = [f for f in picking if awaits_transfer(f)]
    if waiting:
        raise Conflict(
            f"Order {order.number} waits for transfer "
            f"{', '.join(str(f.transfer) for f in waiting)} to arrive.",
            code="awaiting_transfer",
            extra={"transfers": [f.transfer_id for f in waiting]},
        )
    hold_arrived(order, parts, picking, actor)
    Fulfilment.objects.filter(pk__in=[f.pk for f in picking]).update(
        status=FulfilmentStatus.PICKED
    )
    done = len(picking) + sum(f.status != FulfilmentStatus.PENDING for f in parts)
    said = part_said("picked", picking, done, parts, location)
    if order.status == OrderStatus.PLACED:
        transition_order(
            order,
            OrderStatus.PICKED,
            actor=actor,
            now=now,
            note=with_said(said, note),
            location=location,
        )
        order.save(update_fields=["status", "updated_at"])
    else:
        record_part_step(
            order, actor=actor, now=now, location=location, note=with_said(said, note)
        )
    record_order_event(
        order,
        EVENT_ORDER_PICKED,
        f"Order {order.number}: {said}" if said else f"Order {order.number} picked",
        actor=actor,
        location=location,
        now=now,
    )
    return order


def _refuse(order: Order, target: str) -> None:
    """Refuse a move the order cannot make now, as ``transition_order`` would,
    before anything is changed."""
    method = STEP_METHOD.get(target)
    wrong_method = method is not None and order.fulfilment_method != method
    raise IllegalTransition(
        obj=f"{order.get_fulfilment_method_display()} order {order.number}"
        if wrong_method
        else f"Order {order.number}",
        current=order.status,
        target=target,
    )


def pickup_kept_until(ready_at: datetime) -> datetime:
    """The last moment of the day ``OMNISTORE_PICKUP_EXPIRY_DAYS`` after
    ``ready_at``, in the site's time zone: the customer is told to collect "by
    Saturday", so the order waits until that Saturday has ended, not until the clock
    time it was made ready."""
    return end_of_day_after(ready_at, settings.OMNISTORE_PICKUP_EXPIRY_DAYS)


@transaction.atomic
def mark_ready(
    *,
    order: Order | int,
    actor=None,
    location: Location | None = None,
    now: datetime | None = None,
) -> Order:
    """Ready at the pickup shop: a pickup code is issued, the customer is told (code and
    QR) and the pickup window of ``OMNISTORE_PICKUP_EXPIRY_DAYS`` starts, kept until
    the end of its last day (``pickup_kept_until``)."""
    now = now or timezone.now()
    order = lock_order(order)
    transition_order(order, OrderStatus.READY, actor=actor, now=now, location=location)
    order.pickup_code = _new_pickup_code()
    order.ready_at = now
    order.pickup_expires_at = pickup_kept_until(now)
    order.save(
        update_fields=[
            "status",
            "updated_at",
            "pickup_code",
            "ready_at",
            "pickup_expires_at",
        ]
    )
    order.fulfilments.exclude(status=FulfilmentStatus.CANCELLED).update(
        status=FulfilmentStatus.READY
    )
    record_order_event(
        order,
        EVENT_ORDER_READY,
        f"Order {order.number} ready for pickup",
        actor=actor,
        location=location,
        now=now,
    )
    send_order_email(order, "ready")
    return order


@recording_lapsed_holds
@transaction.atomic
def ship_order(
    *,
    order: Order | int,
    actor=None,
    tracking_reference: str = "",
    carrier: str = "",
    location: Location | None = None,
    now: datetime | None = None,
) -> Order:
    """``location`` hands its picked part of the order to ``carrier`` (without
    ``location``, every picked part): the stock held for it there leaves (reason
    ``shipment``) and the part keeps its carrier and tracking number; what other
    shops hold for the order stays. The payments are taken as the first part leaves:
    a card hold found lapsed refuses the parcel and is booked lapsed
    (``recording_lapsed_holds``). The order is shipped, and the customer told the
    whole story, when its last part has left; until then it stays picked, each part
    shipped written in its history and emailed to the customer as its own parcel."""
    now = now or timezone.now()
    carrier, tracking_reference = check_parcel(carrier, tracking_reference)
    order = lock_order(order)
    if not can_move(order, OrderStatus.SHIPPED):
        _refuse(order, OrderStatus.SHIPPED)
    parts = active_parts(order)
    shipping = to_ship(parts, location)
    if not shipping:
        raise nothing_to_ship(order, parts, location)
    capture_order_payments(order=order, actor=actor, now=now)
    consume_reservations(
        reservations=list(
            order_reservations(order).filter(
                location_id__in={f.location_id for f in shipping}
            )
        ),
        reason=MovementReason.SHIPMENT,
        actor=acting_user(actor),
        note=f"Shipped: order {order.number}",
    )
    Fulfilment.objects.filter(pk__in=[f.pk for f in shipping]).update(
        status=FulfilmentStatus.SHIPPED,
        carrier=carrier,
        tracking_reference=tracking_reference,
    )
    done = len(shipping) + sum(f.status == FulfilmentStatus.SHIPPED for f in parts)
    said = part_said("shipped", shipping, done, parts, location)
    note = with_said(
        said, f"Tracking {tracking_reference}" if tracking_reference else ""
    )
    if done < len(parts):
        record_parcel_left(
            order, shipping, said, note=note, actor=actor, location=location, now=now
        )
        return order
    transition_order(
        order, OrderStatus.SHIPPED, actor=actor, now=now, location=location, note=note
    )
    order.shipped_at = now
    order.save(update_fields=["status", "updated_at", "shipped_at"])
    record_order_event(
        order,
        EVENT_ORDER_SHIPPED,
        f"Order {order.number} shipped",
        actor=actor,
        location=location,
        now=now,
    )
    send_order_email(order, "shipped")
    return order


@transaction.atomic
def mark_delivered(
    *,
    order: Order | int,
    actor=None,
    delivered_at: datetime | None = None,
    note: str = "",
    location: Location | None = None,
    now: datetime | None = None,
) -> Order:
    """The customer has the parcel since ``delivered_at`` (default now; checked and,
    an earlier day, said in its history and timeline by ``check_delivery_day``): its
    points can be spent and its return window counts from then; ``location``: where
    staff said so. Only a shipped delivery moves (a split one once its parts left)."""
    now = now or timezone.now()
    order = lock_order(order)
    if not can_move(order, OrderStatus.DELIVERED):
        _refuse(order, OrderStatus.DELIVERED)
    delivered_at = delivered_at or now
    said = check_delivery_day(order, delivered_at, now)
    transition_order(
        order,
        OrderStatus.DELIVERED,
        actor=actor,
        now=now,
        note=with_said(said, note),
        location=location,
    )
    order.delivered_at = delivered_at
    order.save(update_fields=["status", "updated_at", "delivered_at"])
    order.fulfilments.exclude(status=FulfilmentStatus.CANCELLED).update(
        status=FulfilmentStatus.DELIVERED
    )
    record_order_event(
        order,
        EVENT_ORDER_DELIVERED,
        f"Order {order.number} {said or 'delivered'}",
        actor=actor,
        location=location,
        now=now,
    )
    return order


def _check_cancellable(order: Order, by_customer: bool) -> None:
    """A customer cancels until the order is picked, and not one paid in cash at a
    shop."""
    if by_customer and order.status != OrderStatus.PLACED:
        raise IllegalTransition(
            obj=f"Order {order.number}",
            current=order.status,
            target=OrderStatus.CANCELLED,
        )
    if by_customer and order.holds_cash:
        raise Conflict(
            "This order was paid in cash at a shop: cancel it at a shop, where the "
            "cash is given back from the till.",
            code="cancel_at_shop",
        )


def calling_off(order: Order, *, by_staff: bool) -> str:
    """What the asker can do about an order not handed over yet: cancel it only
    where they may (staff while it can be cancelled, its customer as
    ``_check_cancellable`` allows), else let a pickup lapse or ask the shop."""
    if order.status == OrderStatus.CANCELLED:
        return "it is cancelled"
    if by_staff:
        may_cancel = can_move(order, OrderStatus.CANCELLED)
    else:
        may_cancel = order.is_cancellable_by_customer
    if may_cancel:
        return "cancel it instead"
    lapses = order.pickup_expires_at and not order.holds_cash  # a shop cancels those
    if order.status == OrderStatus.READY and lapses:
        until = timezone.localtime(order.pickup_expires_at)
        return (
            f"it waits at the shop until it closes on {until:%A %d %B}; not "
            "collected by then, it is cancelled and refunded"
        )
    return "it is being prepared: to call it off, contact the shop"


def _release_goods(order: Order, actor) -> None:
    """The order's holds go back on sale, and a transfer not yet shipped for it is
    cancelled with it."""
    release_reservations(
        reservations=list(order_reservations(order)),
        actor=acting_user(actor),
        note=f"Order {order.number} cancelled",
    )
    for fulfilment in order.fulfilments.select_related("transfer"):
        transfer = fulfilment.transfer
        if transfer is not None and transfer.status == TransferStatus.REQUESTED:
            cancel_transfer(
                transfer=transfer,
                actor=acting_user(actor),
                note=f"Order {order.number} cancelled",
                with_its_reference=True,
            )


def cancel_unshipped_parts(
    *, order: Order, actor, reason: str, location, approvals, now: datetime
) -> Order:
    """A split delivery a parcel of which has left: what has not left is cancelled
    (its holds released, a transfer not yet shipped cancelled, its lines' value and
    their points given back) and the order is shipped, what left being all of it; it
    is then returned as any shipped order. The order keeps its lines and totals as
    sold: the parts' ``cancelled_at`` books their lines as refunded from now on
    (credit note, VAT ledger, kept spend). Called by ``cancel_order`` (order
    locked)."""
    parts = [
        f
        for f in order.fulfilments.select_related("location", "transfer")
        if f.status not in (FulfilmentStatus.SHIPPED, FulfilmentStatus.CANCELLED)
    ]
    if not parts:
        _refuse(order, OrderStatus.CANCELLED)
    lines = list(OrderLine.objects.filter(order=order, fulfilment__in=parts))
    amount = sum((line.line_total for line in lines), Decimal("0.00"))
    reason = (reason or "").strip() or "Not shipped"
    approval = _guard_cancel_refund(
        order, False, location, actor, approvals, now, reason=reason, amount=amount
    )
    _release_goods(order, actor)
    Fulfilment.objects.filter(pk__in=[f.pk for f in parts]).update(
        status=FulfilmentStatus.CANCELLED, cancelled_at=now
    )
    refund_lines(order, amount, reason=reason, actor=actor, location=location)
    credit_cancelled_order(order=order, actor=actor, now=now, lines=lines)
    shops = ", ".join(sorted({f.location.name for f in parts}))
    note = f"Parts from {shops} cancelled: {reason}; {amount} {order.currency} refunded"
    transition_order(
        order,
        OrderStatus.SHIPPED,
        actor=actor,
        now=now,
        location=location,
        note=note + approved_by_note(approval),
    )
    order.shipped_at = now
    order.save(update_fields=["status", "updated_at", "shipped_at", "loyalty_points"])
    record_order_event(
        order,
        EVENT_ORDER_SHIPPED,
        f"Order {order.number}: {note}",
        actor=actor,
        location=location,
        now=now,
    )
    send_order_email(order, "shipped")
    return order


@transaction.atomic
def cancel_order(
    *,
    order: Order | int,
    actor=None,
    reason: str = "",
    by_customer: bool = False,
    location: Location | None = None,
    approvals: Sequence = (),
    now: datetime | None = None,
) -> Order:
    """Cancel before collection or shipment: held stock is released, a transfer not yet
    shipped is cancelled, every payment is refunded in full, points are reversed, the
    customer is told. A customer may cancel only until the order is picked. Staff
    cancelling at a shop (``location``) refund under the refund limit: above it an
    associate needs a manager's approval (``approvals``), as for a refund."""
    now = now or timezone.now()
    lock_counter(location=location, actor=actor)  # at a counter, its till first
    order = lock_order(order)
    _check_cancellable(order, by_customer)
    if any(f.status == FulfilmentStatus.SHIPPED for f in order.fulfilments.all()):
        return cancel_unshipped_parts(
            order=order,
            actor=actor,
            reason=reason,
            location=location,
            approvals=approvals,
            now=now,
        )
    reason = (reason or ("Cancelled by the customer" if by_customer else "")).strip()
    approval = _guard_cancel_refund(
        order, by_customer, location, actor, approvals, now, reason=reason
    )
    transition_order(
        order,
        OrderStatus.CANCELLED,
        actor=actor,
        now=now,
        note=(reason or "Cancelled") + approved_by_note(approval),
        location=location,
    )
    if order.discount_code:
        release_discount(order, now=now)
    _release_goods(order, actor)
    order.fulfilments.exclude(status=FulfilmentStatus.CANCELLED).update(
        status=FulfilmentStatus.CANCELLED, cancelled_at=now
    )
    settle_cancelled_order_payments(
        order=order, reason=reason, actor=actor, now=now, location=location
    )
    credit_cancelled_order(order=order, actor=actor, now=now)
    if order.loyalty_points and order.customer_id:
        reverse_points(
            customer=Customer(pk=order.customer_id),
            points=order.loyalty_points,
            reason=f"Order {order.number} cancelled",
            reference_type=ORDER_REFERENCE,
            reference_id=order.number,
            actor=actor,
        )
        order.loyalty_points = 0
    order.cancelled_at = now
    order.save(update_fields=["status", "updated_at", "cancelled_at", "loyalty_points"])
    relearn_sizes_later(
        customer_id=order.customer_id, reference=f"cancel:{order.number}"
    )
    record_order_event(
        order,
        EVENT_ORDER_CANCELLED,
        f"Order {order.number} cancelled" + (f": {reason}" if reason else ""),
        actor=actor,
        location=location,
        now=now,
    )
    send_order_email(order, "cancelled")
    return order


def _guard_cancel_refund(
    order, by_customer, location, actor, approvals, now, *, reason, amount=None
):
    """The money a cancellation gives back (``amount``: all of it unless given) is a
    refund, judged before anything moves (a warehouse gives no cash back); an order
    that cannot be cancelled is refused as such, not sent to a manager. A customer
    cancelling their own order is not asked."""
    if by_customer or not can_move(order, OrderStatus.CANCELLED):
        return None
    return guard_cancel_refund(
        order=order,
        amount=cancellation_refund(order) if amount is None else amount,
        location=location,
        actor=actor,
        approvals=approvals,
        now=now,
        reason=reason,
    )
