"""Units held for an order that the location holding them cannot find ("Not on
our shelf"). They are written off there as a count, in one transaction, the order's
row locked before any stock row, and what the order still needs is asked again:

- for a pickup, as the missing units of a transfer closed short are
  (``parts.source_again``: what the pickup shop has free is held, the rest comes on
  a new transfer from one location, which the part then names as its source);
- for a delivery, the whole parcel that location was to send leaves instead from
  one other location that can send all of it, as checkout sources a delivery (a
  delivery leaves as one parcel from one location): the holds there are given back
  and everything the parcel ships is held at the new one.

When no location can send them, nothing changes: the shop is told so, and the
order is cancelled, or the shelf counted again.

Two shelves: the shelf of the location that picks a part and has not picked it
yet (the order's page): the pickup shop's, or the one a delivery leaves from; and
the shelf of a shop sending a transfer for another shop's pickup, before it ships
(the transfer's page): the transfer then ends closed short, nothing sent, and all
it was to bring is asked again.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from inventory.models import (
    Location,
    Reservation,
    ReservationStatus,
    Transfer,
    TransferStatus,
    Variant,
)
from inventory.services.ledger import StockRequest
from inventory.services.reservations import (
    release_reservations,
    reserve_stock,
    write_off_held,
)
from inventory.services.transfers import CLOSE_REASON_MAX, close_unsent_short
from omnistore.core.actors import acting_user
from omnistore.core.exceptions import Conflict, InsufficientStock, ValidationFailed
from orders.models import (
    Fulfilment,
    FulfilmentMethod,
    FulfilmentStatus,
    Order,
    OrderLine,
)
from orders.selectors.access import acts_at

from .common import ORDER_REFERENCE, record_order_event
from .parts import awaits_transfer, record_part_step, source_again
from .sourcing import delivery_origin, plan_legs

EVENT_ORDER_NOT_ON_SHELF = "order_not_on_shelf"


@dataclass(frozen=True)
class HeldHere:
    """Units a shop may say it cannot find: ``key`` names them on its form (an
    order line's id, or a transfer's item), ``held`` is how many are held there."""

    key: int
    sku: str
    name: str
    held: int


def on_shelf_here(part: Fulfilment, location_id: int) -> bool:
    """Whether the units of ``part`` are on the shelf of ``location_id``, held for
    the order: a pickup or a delivery it picks (the pick rule, ``acts_at``), not
    picked yet and not waiting for a transfer (its transfer is read as loaded)."""
    return (
        part.status == FulfilmentStatus.PENDING
        and part.method in (FulfilmentMethod.PICKUP, FulfilmentMethod.DELIVERY)
        and acts_at(part, location_id, "pick")
        and not awaits_transfer(part)
    )


def parts_picked_at(order: Order, location: Location) -> dict[int, Fulfilment]:
    """The order's parts whose units are on ``location``'s shelf
    (``on_shelf_here``). One query."""
    return {
        part.pk: part
        for part in order.fulfilments.select_related(
            "transfer", "pickup_location"
        ).order_by("pk")
        if on_shelf_here(part, location.pk)
    }


def held_on_shelf(order: Order, location: Location) -> list[HeldHere]:
    """The order's lines whose units ``location`` holds for it and picks
    (``parts_picked_at``), each with the units held for it there: the order's
    holds of its item at the location, given to its lines in turn, at most a
    line's quantity. Three queries."""
    parts = parts_picked_at(order, location)
    if not parts:
        return []
    held: Counter = Counter()
    for variant_id, quantity in _holds(order, location).values_list(
        "variant_id", "quantity"
    ):
        held[variant_id] += quantity
    found = []
    for line in (
        OrderLine.objects.filter(fulfilment_id__in=list(parts))
        .select_related("variant__product")
        .order_by("pk")
    ):
        units = min(line.quantity, held[line.variant_id])
        held[line.variant_id] -= units
        if units:
            found.append(HeldHere(line.pk, line.variant.sku, line.variant.name, units))
    return found


def held_for_transfer(transfer: Transfer) -> list[HeldHere]:
    """The items of a transfer not shipped yet, each with the units held for it at
    its source (its lines' quantities); none once it has left. One query."""
    if transfer.status != TransferStatus.REQUESTED:
        return []
    return [
        HeldHere(line.variant_id, line.variant.sku, line.variant.name, line.quantity)
        for line in transfer.lines.select_related("variant__product").order_by("pk")
    ]


def _holds(order: Order, location: Location, variant_id: int | None = None):
    holds = Reservation.objects.filter(
        reference_type=ORDER_REFERENCE,
        reference_id=order.number,
        status=ReservationStatus.ACTIVE,
        location=location,
    )
    return holds if variant_id is None else holds.filter(variant_id=variant_id)


def _too_many(held: int) -> ValidationFailed:
    message = f"At most {held}: the units held for it here."
    return ValidationFailed(message, code="more_than_held", extra={"units": [message]})


def _asked_elsewhere(
    order, part, missing: dict[int, int], *, actor, why, said, shelf: Location
):
    """The missing units asked again (``source_again``), never of ``shelf``, the
    location that cannot find them (its books may still count others free), and
    whether they now come on a new transfer; when no other location can send them
    all (or units were taken meanwhile), one refusal, and the caller's transaction
    gives back all it did."""
    variants = Variant.objects.in_bulk(list(missing))
    before = part.transfer_id
    try:
        step = source_again(
            order, part, missing, variants, actor=actor, why=why, exclude=shelf
        )
    except InsufficientStock:
        step = None
    if step is None:
        raise _no_other_source(order, said)
    return step, part.transfer_id != before


def _no_other_source(order: Order, said: str) -> Conflict:
    return Conflict(
        f"No other location can send {said} for order {order.number} now: "
        "nothing was changed.",
        code="no_other_source",
    )


def _parcel_from_elsewhere(
    order: Order, parcel: list[Fulfilment], shelf: Location, *, actor
) -> str:
    """The parcel ``shelf`` was to send (the order's delivery parts it picks, not
    picked yet) leaves instead from one other location that can send all of it, as
    checkout sources a delivery (``plan_legs``, never from ``shelf``: its books may
    still count units free): the order's holds at ``shelf`` given back, all the
    parcel ships held at the new location beyond its safety stock, and the parts
    name it as their source. A delivery leaves as one parcel from one location:
    when no one location can send it all (or one that already has a parcel of the
    order picked, whose shipping takes the order's holds there), or its units were
    taken meanwhile, one refusal, and the caller's transaction gives back all it
    did. What was done, as the history says it."""
    wanted: Counter = Counter()
    for variant_id, quantity in OrderLine.objects.filter(
        fulfilment__in=parcel
    ).values_list("variant_id", "quantity"):
        wanted[variant_id] += quantity
    source = _one_other_source(order, parcel[0].address, dict(wanted), shelf)
    if source is None:
        raise _no_other_source(order, "the whole parcel")
    step = f"the parcel now leaves from {source.name}"
    release_reservations(
        reservations=list(_holds(order, shelf)),
        actor=acting_user(actor),
        note=f"Order {order.number}: {step}",
    )
    try:
        reserve_stock(
            requests=[StockRequest(v, source.pk, q) for v, q in wanted.items()],
            reference_type=ORDER_REFERENCE,
            reference_id=order.number,
            actor=acting_user(actor),
            keep_safety=True,  # as sourcing counted what is free
        )
    except InsufficientStock:
        raise _no_other_source(order, "the whole parcel") from None
    for part in parcel:
        part.location = source
        part.save(update_fields=["location"])
    return step


def _one_other_source(
    order: Order, address: dict, wanted: dict[int, int], shelf: Location
) -> Location | None:
    """The one location, other than ``shelf``, that can send all of ``wanted`` to
    ``address``, as checkout would choose it; None when it takes several, or none
    has it all, or the one chosen has a parcel of the order picked, not left."""
    try:
        legs = plan_legs(
            method=FulfilmentMethod.DELIVERY,
            wanted=wanted,
            variants=Variant.objects.in_bulk(list(wanted)),
            pickup_store=None,
            origin=delivery_origin(
                address,
                placing=None,
                customer=order.customer if order.customer_id else None,
            ),
            exclude=shelf,
        )
    except InsufficientStock:
        return None
    if len(legs) != 1:
        return None
    source = legs[0].location
    picked_there = order.fulfilments.filter(
        location=source, status=FulfilmentStatus.PICKED
    ).exists()
    return None if picked_there else source


def _record(
    order: Order,
    part: Fulfilment,
    note: str,
    *,
    coming: bool,
    actor,
    location: Location,
) -> None:
    """The order's history says what was missing, where, why, and where it is
    asked from now. The customer's timeline (read by the customer too) only says
    where the item comes from now (``coming``: on a new transfer), or that a
    delivery's parcel leaves from elsewhere: no reason, no location, no transfer."""
    now = timezone.now()
    record_part_step(order, actor=actor, now=now, location=location, note=note)
    if part.method == FulfilmentMethod.DELIVERY:
        told = "the parcel will leave from another of our locations"
    elif coming:
        told = "an item is coming from another of our locations"
    else:
        told = f"an item is set aside again at {part.pickup_location.name}"
    record_order_event(
        order,
        EVENT_ORDER_NOT_ON_SHELF,
        f"Order {order.number}: {told}",
        actor=actor,
        location=location,
        now=now,
    )


@transaction.atomic(durable=True)
def report_not_on_shelf(
    *,
    order: Order,
    line_id: int,
    units: int,
    reason: str,
    location: Location,
    actor,
) -> str:
    """``units`` of an order line held at ``location`` for a part it picks cannot
    be found: written off there (a count naming the order, ``write_off_held``) and
    asked again elsewhere: a pickup's missing units (``_asked_elsewhere``), a
    delivery's whole parcel (``_parcel_from_elsewhere``). Returns what was asked,
    as the history says it."""
    reason = _reason(reason)
    order = Order.objects.select_for_update(no_key=True).get(pk=order.pk)
    held = {found.key: found for found in held_on_shelf(order, location)}
    found = held.get(line_id)
    if found is None:
        message = f"Nothing of this item is held at {location.name} for it."
        raise ValidationFailed(message, code="not_held_here", extra={"line": [message]})
    if units > found.held:
        raise _too_many(found.held)
    line = OrderLine.objects.select_related("fulfilment").get(pk=line_id)
    write_off_held(
        reservations=_holds(order, location, line.variant_id),
        units=units,
        note=f"Not on the shelf for order {order.number}: {reason}",
        reference_type=ORDER_REFERENCE,
        reference_id=order.number,
        actor=acting_user(actor),
    )
    said = f"{found.sku} ×{units}"
    parts = parts_picked_at(order, location)
    part = parts[line.fulfilment_id]
    if part.method == FulfilmentMethod.DELIVERY:
        parcel = [p for p in parts.values() if p.method == FulfilmentMethod.DELIVERY]
        step = _parcel_from_elsewhere(order, parcel, location, actor=actor)
        coming = False
    else:
        step, coming = _asked_elsewhere(
            order,
            part,
            {line.variant_id: units},
            actor=actor,
            why=f"units not on the shelf at {location.name}",
            said=said,
            shelf=location,
        )
    note = f"{said} not on the shelf at {location.name} ({reason}); {step}"
    _record(order, part, note, coming=coming, actor=actor, location=location)
    return step


@transaction.atomic(durable=True)
def report_not_sent(
    *, transfer: Transfer, variant_id: int, units: int, reason: str, actor
) -> str:
    """``units`` of an item a shop was to send on an order's transfer, not shipped
    yet, cannot be found on its shelf: written off there, the transfer closed short
    with nothing sent (``close_unsent_short``), and all it was to bring asked again
    elsewhere. The order's row is locked first, as a receipt locks it. Returns what
    was asked, as the order's history says it."""
    reason = _reason(reason)
    order = (
        Order.objects.select_for_update(no_key=True)
        .filter(number=transfer.reference_id)
        .first()
        if transfer.reference_type == ORDER_REFERENCE
        else None
    )
    part = (
        order.fulfilments.select_related("transfer", "pickup_location")
        .filter(transfer=transfer, status=FulfilmentStatus.PENDING)
        .first()
        if order is not None
        else None
    )
    if part is None:
        raise Conflict(
            f"Transfer {transfer} brings no order's goods now: cancel it instead.",
            code="no_order_waits",
        )
    source = transfer.source
    brought = close_unsent_short(
        transfer=transfer,
        variant_id=variant_id,
        units=units,
        reason=reason,
        actor=acting_user(actor),
    )
    sku = Variant.objects.values_list("sku", flat=True).get(pk=variant_id)
    step, coming = _asked_elsewhere(
        order,
        part,
        brought,
        actor=actor,
        why=f"units not on the shelf at {source.name} for transfer {transfer}",
        said=f"the units of transfer {transfer}",
        shelf=source,
    )
    note = (
        f"{sku} ×{units} not on the shelf at {source.name} ({reason}): transfer "
        f"{transfer} closed short, nothing sent; {step}"
    )
    _record(order, part, note, coming=coming, actor=actor, location=source)
    return step


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        message = "Say why the units are not on the shelf."
        raise ValidationFailed(message, extra={"reason": [message]})
    if len(reason) > CLOSE_REASON_MAX:
        message = f"Say it in at most {CLOSE_REASON_MAX} characters."
        raise ValidationFailed(message, extra={"reason": [message]})
    return reason
