"""Units held for a pickup that the shop holding them cannot find ("Not on our
shelf"). They are written off there as a count and asked again elsewhere as the
missing units of a transfer closed short are (``parts.source_again``: what the
pickup shop has free is held, the rest comes on a new transfer from one location,
which the part then names as its source), in one transaction, the order's row
locked before any stock row. When no location can send them, nothing changes: the
shop is told so, and the order is cancelled, or the shelf counted again.

Two shelves: the pickup shop's, for units held there for a part it picks and has
not picked yet (the order's page); and the shelf of a shop sending a transfer for
another shop's pickup, before it ships (the transfer's page): the transfer then
ends closed short, nothing sent, and all it was to bring is asked again.
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
from inventory.services.reservations import write_off_held
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

EVENT_ORDER_NOT_ON_SHELF = "order_not_on_shelf"


@dataclass(frozen=True)
class HeldHere:
    """Units a shop may say it cannot find: ``key`` names them on its form (an
    order line's id, or a transfer's item), ``held`` is how many are held there."""

    key: int
    sku: str
    name: str
    held: int


def parts_picked_at(order: Order, location: Location) -> dict[int, Fulfilment]:
    """The order's pickup parts ``location`` picks (the pick rule, ``acts_at``),
    not picked yet and not waiting for a transfer: their units are on its shelf,
    held for the order. One query."""
    return {
        part.pk: part
        for part in order.fulfilments.select_related(
            "transfer", "pickup_location"
        ).order_by("pk")
        if part.status == FulfilmentStatus.PENDING
        and part.method == FulfilmentMethod.PICKUP
        and acts_at(part, location.pk, "pick")
        and not awaits_transfer(part)
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
        raise Conflict(
            f"No other location can send {said} for order {order.number} now: "
            "nothing was changed.",
            code="no_other_source",
        )
    return step, part.transfer_id != before


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
    where the item comes from now (``coming``: on a new transfer): no reason, no
    transfer."""
    now = timezone.now()
    record_part_step(order, actor=actor, now=now, location=location, note=note)
    told = (
        "an item is coming from another of our locations"
        if coming
        else f"an item is set aside again at {part.pickup_location.name}"
    )
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
    """``units`` of an order line held at ``location`` for a pickup it picks cannot
    be found: written off there (a count naming the order, ``write_off_held``) and
    asked again elsewhere. Returns what was asked, as the history says it."""
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
    part = parts_picked_at(order, location)[line.fulfilment_id]
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
