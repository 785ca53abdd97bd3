"""The parts of an order (its fulfilments), each leaving one location.

An online delivery no one location can fill leaves in several parcels, one a shop: each
shop picks and ships its own part, with its own tracking number, and the stock held
for the order at the other shops stays where it is. The order is picked with its
first part and shipped with its last; in between every part that moves is written in
the order's history (who, where, when, which part). A pickup's parts are all taken off
the pickup shop's shelves, those a transfer brought included, so it moves as one.

Units a transfer brings to a pickup shop are held for the order as they are received
(``inventory.services.transfers``): picking uses that hold. A transfer closed short
(units lost on the way) is written in the order's history, and what is missing is
asked again as checkout would source it (``ask_again_for_missing``); what no location
can send leaves the order short, and picking says so and what to do.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from contextlib import suppress
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from customers.models import Customer
from customers.services.loyalty import reverse_points
from inventory.models import (
    Location,
    Reservation,
    ReservationStatus,
    Transfer,
    TransferLine,
    TransferStatus,
    Variant,
)
from inventory.services.ledger import StockRequest
from inventory.services.reservations import reserve_stock
from inventory.services.transfers import request_transfer
from omnistore.core.actors import acting_user
from omnistore.core.exceptions import Conflict, InsufficientStock, ValidationFailed
from orders.carriers import Carrier, clean_tracking_number, tracking_number_problem
from orders.emails import enqueue_order_email
from orders.models import (
    PARTS_CANCELLATION_REFUND,
    Fulfilment,
    FulfilmentMethod,
    FulfilmentStatus,
    Order,
    OrderLine,
    OrderStatus,
)

from .common import ORDER_REFERENCE, note_in_history, record_order_event
from .loyalty import points_taken_back
from .payments import refund_to_payments
from .placing import TRANSFER_LEAD_DAYS
from .sourcing import plan_legs

EVENT_ORDER_PART_SHIPPED = "order_part_shipped"


def active_parts(order: Order) -> list[Fulfilment]:
    """The order's parts not cancelled, with their locations and transfer."""
    return list(
        order.fulfilments.select_related("location", "pickup_location", "transfer")
        .exclude(status=FulfilmentStatus.CANCELLED)
        .order_by("pk")
    )


def shelf_of(part: Fulfilment) -> int:
    """The location whose shelves a part is taken from: where it is sourced, or the
    pickup shop a transfer brings it to."""
    return part.pickup_location_id if part.transfer_id else part.location_id


def to_pick(parts: Sequence[Fulfilment], location: Location | None) -> list:
    """The parts ``location`` still has to pick (without a location, every one)."""
    return [
        part
        for part in parts
        if part.status == FulfilmentStatus.PENDING
        and (location is None or shelf_of(part) == location.pk)
    ]


def awaits_transfer(part: Fulfilment) -> bool:
    """A part a transfer brings that has not arrived yet: it cannot be picked (its
    transfer, loaded with the part, is read; no query)."""
    return bool(part.transfer_id) and part.transfer.status != TransferStatus.RECEIVED


def to_ship(parts: Sequence[Fulfilment], location: Location | None) -> list:
    """The picked delivery parts leaving from ``location`` (without one, every one)."""
    return [
        part
        for part in parts
        if part.method == FulfilmentMethod.DELIVERY
        and part.status == FulfilmentStatus.PICKED
        and (location is None or part.location_id == location.pk)
    ]


def check_parcel(carrier: str, tracking_reference: str) -> tuple[str, str]:
    """The carrier and tracking number a part leaves with, as kept (the number
    without spaces, in capitals); an unknown carrier or a number that cannot be one
    is refused with its field's error before anything moves."""
    carrier = (carrier or "").strip()
    number = clean_tracking_number(tracking_reference)
    errors = {}
    if carrier not in ("", *Carrier.values):
        errors["carrier"] = [f"Choose one of: {', '.join(Carrier.labels)}."]
    if problem := tracking_number_problem(number):
        errors["tracking_reference"] = [problem]
    if errors:
        raise ValidationFailed(
            "Check the carrier and the tracking number.",
            code="invalid_tracking",
            extra=errors,
        )
    return carrier, number


def nothing_to_pick(order: Order, location: Location) -> Conflict:
    return Conflict(
        f"Order {order.number} has nothing to pick at {location.name}.",
        code="nothing_to_pick_here",
    )


def nothing_to_ship(
    order: Order, parts: Sequence[Fulfilment], location: Location | None
) -> Conflict:
    """Why ``location`` has no part of ``order`` to hand to the carrier."""
    here = [p for p in parts if location is None or p.location_id == location.pk]
    place = f" at {location.name}" if location is not None else ""
    if any(p.status == FulfilmentStatus.PENDING for p in here):
        return Conflict(
            f"Order {order.number}: pick the part{place} before shipping it.",
            code="part_not_picked",
        )
    if here and all(p.status == FulfilmentStatus.SHIPPED for p in here):
        return Conflict(
            f"Order {order.number}: the part{place} has already been shipped.",
            code="part_already_shipped",
        )
    return Conflict(
        f"Order {order.number} has nothing to ship{place}.",
        code="nothing_to_ship_here",
    )


def part_said(
    verb: str,
    moved: Sequence[Fulfilment],
    done: int,
    parts: Sequence[Fulfilment],
    location: Location | None,
) -> str:
    """Which part of the order moved and how many of its parts have (``done``), as
    the history and the timeline say it; empty when ``moved`` is the whole order."""
    if len(moved) == len(parts):
        return ""
    place = (
        location.name
        if location is not None
        else ", ".join(sorted({p.location.name for p in moved}))
    )
    return f"part from {place} {verb} ({done} of {len(parts)} parts {verb})"


def with_said(said: str, note: str) -> str:
    """A history note: the part that moved, then the reason or tracking given."""
    said = said[:1].upper() + said[1:]
    return " · ".join(text for text in (said, note) if text)


def record_part_step(
    order: Order, *, actor, now, location: Location | None, note: str
) -> None:
    """Part of the order moved on while the order keeps its status (its other parts
    have not yet): its history keeps who, where, when and which part all the same."""
    note_in_history(order, note, at=now, actor=actor, location=location)
    order.updated_at = now
    order.save(update_fields=["updated_at"])


def record_parcel_left(
    order: Order,
    parcel: Sequence[Fulfilment],
    said: str,
    *,
    note: str,
    actor,
    location: Location | None,
    now,
) -> None:
    """A parcel left while the rest of the order is still to come (the order stays
    picked): its history and the customer's timeline say which part, and the
    customer is emailed about this parcel at once, one email per parcel (keyed by
    its parts, so it is queued once however often this is called)."""
    record_part_step(order, actor=actor, now=now, location=location, note=note)
    record_order_event(
        order,
        EVENT_ORDER_PART_SHIPPED,
        f"Order {order.number}: {said}",
        actor=actor,
        location=location,
        now=now,
    )
    ids = sorted(part.pk for part in parcel)
    enqueue_order_email(
        order=order,
        kind="parcel_shipped",
        parts=ids,
        dedupe="parcel:" + "-".join(str(pk) for pk in ids),
    )


def hold_arrived(
    order: Order,
    parts: Sequence[Fulfilment],
    picking: Sequence[Fulfilment],
    actor,
) -> None:
    """Units a transfer brought are held for the order at its pickup shop as they are
    received; picking holds only what is not held there yet (units that arrived
    before such holds were made, or whose hold was given back), from what is free."""
    shops = {part.pickup_location_id for part in picking if part.transfer_id}
    if not shops:
        return
    shelf = {part.pk: shelf_of(part) for part in parts if shelf_of(part) in shops}
    wanted: Counter = Counter()
    for part_id, variant_id, quantity in OrderLine.objects.filter(
        fulfilment_id__in=list(shelf)
    ).values_list("fulfilment_id", "variant_id", "quantity"):
        wanted[(variant_id, shelf[part_id])] += quantity
    held: Counter = Counter()
    for variant_id, location_id, quantity in Reservation.objects.filter(
        reference_type=ORDER_REFERENCE,
        reference_id=order.number,
        status=ReservationStatus.ACTIVE,
        location_id__in=shops,
    ).values_list("variant_id", "location_id", "quantity"):
        held[(variant_id, location_id)] += quantity
    short = [
        StockRequest(variant_id, location_id, units - held[(variant_id, location_id)])
        for (variant_id, location_id), units in sorted(wanted.items())
        if units > held[(variant_id, location_id)]
    ]
    if not short:
        return
    try:
        reserve_stock(
            requests=short,
            reference_type=ORDER_REFERENCE,
            reference_id=order.number,
            actor=acting_user(actor),
        )
    except InsufficientStock as error:
        raise _order_short(order, picking, error) from None


def _order_short(
    order: Order, picking: Sequence[Fulfilment], error: InsufficientStock
) -> Conflict:
    """Units a transfer was to bring that are neither held nor free at the pickup
    shop: the order cannot be picked whole. Said as what is missing, why, and the
    two ways on: the units brought here, or the order cancelled."""
    missing = ", ".join(
        f"{line['sku']} ×{line['requested'] - line['available']}"
        for line in error.lines
    )
    shop = next(p.pickup_location for p in picking if p.transfer_id)
    closed = sorted(
        {
            str(line.transfer)
            for line in TransferLine.objects.select_related("transfer").filter(
                transfer__in=[p.transfer_id for p in picking if p.transfer_id],
                transfer__status=TransferStatus.RECEIVED,
                quantity_received__lt=F("quantity_shipped"),
            )
        }
    )
    why = (
        f"did not arrive (transfer {', '.join(closed)} closed short) and none is free"
        if closed
        else "is neither held for it nor free"
    )
    return Conflict(
        f"Order {order.number} is short: {missing} {why} at {shop.name}. Ask for "
        f"the missing units on a transfer to {shop.name} and pick the order once "
        "they are on the shelf, or cancel the order: the customer is refunded in "
        "full.",
        code="order_short",
        extra={"lines": error.lines},
    )


def order_awaits_transfer(transfer: Transfer) -> bool:
    """Whether the order a transfer travels for still waits for its units: not
    cancelled, the part it brings still live. The order row is locked (order before
    stock rows, as everywhere): a cancellation meanwhile either waits for the receipt,
    then gives back the hold it made with the order's other holds, or is seen by it.
    (What a page says of the units is read by ``order_transfer_purpose``.)"""
    if transfer.reference_type != ORDER_REFERENCE:
        return False
    order = (
        Order.objects.select_for_update(no_key=True)
        .filter(number=transfer.reference_id)
        .first()
    )
    return (
        order is not None
        and order.status != OrderStatus.CANCELLED
        and order.fulfilments.filter(transfer=transfer)
        .exclude(status=FulfilmentStatus.CANCELLED)
        .exists()
    )


def refund_lines(order: Order, amount: Decimal, *, reason, actor, location) -> None:
    """``amount`` back to the order's payments, once, and the points earned on it
    reversed in proportion."""
    refund_to_payments(
        order=order,
        amount=amount,
        reason=reason,
        reference=f"{PARTS_CANCELLATION_REFUND}{order.number}",
        actor=actor,
        location=location,
    )
    points = points_taken_back(order, refunded=amount, parts_cancelled=True)
    if points and order.customer_id:
        reverse_points(
            customer=Customer(pk=order.customer_id),
            points=points,
            reason=f"Order {order.number}: parts not shipped cancelled",
            reference_type=ORDER_REFERENCE,
            reference_id=order.number,
            actor=actor,
        )
        order.loyalty_points -= points


def ask_again_for_missing(
    *, transfer: Transfer, missing: dict[int, int], reason: str, actor
) -> None:
    """A pickup's transfer was closed short: the order's history says what is
    missing, and the missing units are sourced again (``source_again``). When no
    one location can send it all, nothing is asked and the history says what to do
    (bring the units to the shop, or cancel the order). Called in the closing
    transaction, the order row locked before the transfer's."""
    order = Order.objects.select_for_update(no_key=True).get(
        number=transfer.reference_id
    )
    part = order.fulfilments.filter(
        transfer=transfer, status=FulfilmentStatus.PENDING
    ).first()
    if part is None:
        return
    shop = part.pickup_location
    variants = Variant.objects.in_bulk(list(missing))
    said = ", ".join(f"{variants[v].sku} ×{q}" for v, q in sorted(missing.items()))
    step = (
        "no location can send the missing units: bring them to "
        f"{shop.name} on a transfer and pick the order, or cancel it"
    )
    # Units taken meanwhile: nothing is asked, and the history says what to do.
    with suppress(InsufficientStock), transaction.atomic():
        step = (
            source_again(
                order,
                part,
                missing,
                variants,
                actor=actor,
                why=f"units missing on transfer {transfer}",
            )
            or step
        )
    record_part_step(
        order,
        actor=actor,
        now=timezone.now(),
        location=shop,
        note=f"Transfer {transfer} closed short ({reason}); {step}. Missing: {said}",
    )


def source_again(
    order: Order,
    part: Fulfilment,
    missing: dict[int, int],
    variants: dict,
    *,
    actor,
    why: str,
    exclude: Location | None = None,
) -> str | None:
    """Units a pickup's part misses (lost on a transfer, not on a shelf) sourced
    again as checkout sources a pickup (``plan_legs``): what the pickup shop has free
    is held at once, the rest comes on a new transfer from one location, which the
    part then waits for (its note says ``why``). ``exclude``: the location that has
    just said it cannot find them, asked nothing this time (its books may still
    count units free). What was done, as the history says it; None when no one
    location can send it all, nothing asked."""
    legs = _source_again(missing, variants, part.pickup_location, exclude)
    if legs is None:
        return None
    return _ask_again(order, part, legs, variants, actor, why)


def _source_again(
    missing: dict[int, int],
    variants: dict,
    shop: Location,
    exclude: Location | None = None,
):
    """Where the missing units come from, as checkout sources a pickup: legs with
    at most one transfer (a part waits for one), or None."""
    try:
        legs = plan_legs(
            method=FulfilmentMethod.PICKUP,
            wanted=dict(missing),
            variants=variants,
            pickup_store=shop,
            origin=(shop.latitude, shop.longitude),
            exclude=exclude,
        )
    except InsufficientStock:
        return None
    return legs if sum(leg.transfer for leg in legs) <= 1 else None


def _ask_again(
    order: Order, part: Fulfilment, legs, variants: dict, actor, why: str
) -> str:
    """Hold what the pickup shop has free, ask the rest on a new transfer the part
    now waits for; what the history says was done. The part then comes from where
    the new transfer leaves, or from the pickup shop when it holds all that was
    missing: the location the order's pages and API name as its source."""
    shop = part.pickup_location
    part.location = shop
    done = []
    for leg in legs:
        if not leg.transfer:
            reserve_stock(
                requests=[
                    StockRequest(v, shop.pk, q) for v, q in leg.quantities.items()
                ],
                reference_type=ORDER_REFERENCE,
                reference_id=order.number,
                actor=acting_user(actor),
                keep_safety=True,  # as sourcing counted what is free
            )
            done.append(f"held what {shop.name} has free")
            continue
        part.transfer = request_transfer(
            source=leg.location,
            destination=shop,
            lines=[(variants[v], q) for v, q in leg.quantities.items()],
            actor=actor,
            note=f"For order {order.number}: {why}",
            reference_type=ORDER_REFERENCE,
            reference_id=order.number,
        )
        part.ready_date = timezone.localdate() + timedelta(days=TRANSFER_LEAD_DAYS)
        part.location = leg.location
        done.append(f"asked again from {leg.location.name} on {part.transfer}")
    part.save(update_fields=["location", "transfer", "ready_date"])
    return " and ".join(done)
