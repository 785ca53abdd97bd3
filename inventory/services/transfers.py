"""Transfers between locations: requested (reserved at the source), shipped, received,
or cancelled before shipping. What a transfer made for an order brings is held for that
order at the destination as it is received."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, Sum
from django.dispatch import Signal
from django.utils import timezone

from omnistore.accounts.scoping import manages, shop_ids
from omnistore.core.actors import acting_user
from omnistore.core.exceptions import Conflict, IllegalTransition, ValidationFailed

from ..models import (
    Location,
    MovementReason,
    Reservation,
    ReservationStatus,
    StockLevel,
    Transfer,
    TransferEvent,
    TransferLine,
    TransferStatus,
    Variant,
)
from ..selectors import variant_on_sale
from .ledger import StockRequest
from .reservations import (
    consume_reservations,
    release_reservations,
    reserve_stock,
    write_off_held,
)
from .stock import receive_stock

# Asked while a transfer made for something (its ``reference_type`` and
# ``reference_id``: an order travelling to its pickup shop) is received or closed
# short, before the transfer is locked and any unit booked. The app behind the
# reference answers True while it still wants the units, having locked its own row
# (an order, locked before the transfer and any stock row, as everywhere), so a
# cancellation either waits for the receipt or is seen by it. The units received are then held for the reference
# at the destination as they are booked, so no one else takes them; with no such
# answer they arrive as free stock. Sent inside the receipt's transaction, unlike the
# events of ``inventory.signals``. A page saying what the units are for asks
# ``inventory.signals.transfer_purpose`` instead, which only reads.
transfer_arriving = Signal()

# Sent when a transfer made for something is closed short while that thing still
# waits for it (``transfer_arriving`` answered True, its row locked first), inside
# the closing transaction: ``missing`` maps variant id → units that will not come,
# ``reason`` is the one given. The app behind the reference records the shortfall
# and may ask for the units again (an order asks another location).
transfer_closed_short = Signal()


def _transition(transfer: Transfer, target: str, *, actor, note: str = "") -> None:
    TransferEvent.objects.create(
        transfer=transfer,
        from_status=transfer.status,
        to_status=target,
        actor=actor,
        note=note,
    )
    transfer.status = target


@transaction.atomic
def request_transfer(
    *,
    source: Location,
    destination: Location,
    lines: Sequence[tuple[Variant, int]],
    actor=None,
    note: str = "",
    reference_type: str = "",
    reference_id: str = "",
) -> Transfer:
    """Ask for goods to move; the quantities are reserved at the source at once,
    beyond its safety stock: only a manager of the source (HQ: of every location)
    may take that too, their shop's stock being theirs to decide about. An
    associate's ask for their shop from another location (no order behind it) takes
    at most ``OMNISTORE_TRANSFER_ASK_MAX`` units of an item from it in 24 hours, asks
    not shipped yet counted however old: the source's own customers keep their
    shelf. Nor does a shop ask for an item no longer sold."""
    errors: dict[str, list[str]] = {}
    if source.pk == destination.pk:
        errors["destination"] = ["Source and destination must be different locations."]
    if not lines:
        errors["lines"] = ["Add at least one line."]
    for _variant, qty in lines:
        if not isinstance(qty, int) or isinstance(qty, bool) or qty <= 0:
            errors["quantity"] = ["Must be a positive whole number."]
    if errors:
        raise ValidationFailed("The transfer is not valid.", extra=errors)
    merged: dict[int, int] = defaultdict(int)
    variants = {}
    for variant, qty in lines:
        merged[variant.pk] += qty
        variants[variant.pk] = variant
    user = acting_user(actor)
    if not reference_type:
        _check_on_sale(destination, merged)
        _check_ask(source, destination, merged, variants, user)
    transfer = Transfer.objects.create(
        source=source,
        destination=destination,
        requested_by=actor,
        note=note,
        reference_type=reference_type,
        reference_id=str(reference_id),
    )
    TransferLine.objects.bulk_create(
        [
            TransferLine(transfer=transfer, variant_id=v, quantity=q)
            for v, q in merged.items()
        ]
    )
    TransferEvent.objects.create(
        transfer=transfer, to_status=TransferStatus.REQUESTED, actor=actor, note=note
    )
    reserve_stock(
        requests=[StockRequest(v, source.pk, q) for v, q in merged.items()],
        reference_type="transfer",
        reference_id=str(transfer.pk),
        actor=actor,
        keep_safety=not manages(user, source.pk),
    )
    return transfer


ASK_WINDOW = timedelta(hours=24)


def _check_on_sale(destination: Location, merged: dict) -> None:
    """Stock brought to a shop with no order behind it (an ask for its shelves) is
    stock to sell there: an item no longer sold (``variant_on_sale``) is not asked
    for. It may still go back to a warehouse."""
    if not destination.is_shop:
        return
    gone = list(
        Variant.objects.filter(pk__in=list(merged))
        .exclude(variant_on_sale(""))
        .order_by("sku")
        .values_list("sku", flat=True)
    )
    if gone:
        raise ValidationFailed(
            f"No longer sold, so not asked for a shop: {', '.join(gone)}.",
            code="not_for_sale",
            extra={"lines": [f"{sku}: no longer sold." for sku in gone]},
        )


def _check_ask(source, destination, merged: dict, variants: dict, user) -> None:
    limit = settings.OMNISTORE_TRANSFER_ASK_MAX
    if limit is None or user is None or user.is_manager:
        return
    own = shop_ids(user)
    if own is None or source.pk in own:
        return  # sending their own shop's stock out is no ask
    # The source's rows of these items, locked (as the reservation below locks them,
    # in the same order): asks sent at once count each other.
    list(
        StockLevel.objects.select_for_update(no_key=True)
        .filter(location=source, variant_id__in=list(merged))
        .order_by("location_id", "variant_id")
        .values_list("pk", flat=True)
    )
    # Asked in the last 24 hours, or asked before and still held at the source
    # (not shipped yet): unshipped asks do not pile up day after day.
    recent_or_held = Q(transfer__created_at__gte=timezone.now() - ASK_WINDOW) | Q(
        transfer__status=TransferStatus.REQUESTED
    )
    asked = dict(
        TransferLine.objects.filter(
            recent_or_held,
            transfer__source=source,
            transfer__destination=destination,
            transfer__reference_type="",
            variant_id__in=list(merged),
        )
        .exclude(transfer__status=TransferStatus.CANCELLED)
        .values("variant_id")
        .annotate(units=Sum("quantity"))
        .values_list("variant_id", "units")
    )
    over = [
        f"{variants[v].sku}: at most {max(limit - asked.get(v, 0), 0)} more units "
        f"from {source.name} now ({asked.get(v, 0)} asked in 24 hours or not "
        "shipped yet)"
        for v, q in merged.items()
        if asked.get(v, 0) + q > limit
    ]
    if over:
        raise ValidationFailed(
            f"An associate asks at most {limit} units of an item from one location "
            "in 24 hours, asks not shipped yet counted however old; a store manager "
            "asks for more.",
            code="transfer_ask_above_limit",
            extra={"lines": over},
        )


def _lock_transfer(transfer: Transfer | int) -> Transfer:
    """The transfer's row alone, locked (``of``): its two locations are read with
    it, not locked. A sale, adjustment or checkout at either shop writes rows that
    point at the shop, whose foreign key check (``FOR KEY SHARE``) would otherwise
    wait for the transfer while the transfer waits for its stock row: a deadlock."""
    pk = transfer.pk if isinstance(transfer, Transfer) else transfer
    return (
        Transfer.objects.select_for_update(of=("self",), no_key=True)
        .select_related("source", "destination")
        .get(pk=pk)
    )


def _transfer_reservations(transfer: Transfer):
    return Reservation.objects.filter(
        reference_type="transfer",
        reference_id=str(transfer.pk),
        status=ReservationStatus.ACTIVE,
    )


@transaction.atomic
def ship_transfer(*, transfer: Transfer | int, actor=None, note: str = "") -> Transfer:
    """The source sends the goods: reserved stock leaves its on-hand (transfer_out)."""
    transfer = _lock_transfer(transfer)
    if transfer.status != TransferStatus.REQUESTED:
        raise IllegalTransition(
            obj="Transfer",
            current=transfer.status,
            target=TransferStatus.IN_TRANSIT,
            choices=TransferStatus,
        )
    consume_reservations(
        reservations=list(_transfer_reservations(transfer)),
        reason=MovementReason.TRANSFER_OUT,
        actor=actor,
        note=note,
    )
    TransferLine.objects.filter(transfer=transfer).update(
        quantity_shipped=F("quantity")
    )
    _transition(transfer, TransferStatus.IN_TRANSIT, actor=actor, note=note)
    transfer.shipped_at = timezone.now()
    transfer.save(update_fields=["status", "shipped_at"])
    return transfer


@transaction.atomic
def receive_transfer(
    *,
    transfer: Transfer | int,
    quantities: dict[int, int] | None = None,
    actor=None,
    note: str = "",
) -> Transfer:
    """The destination books what arrived. ``quantities`` maps variant id → units received
    now; ``None`` receives everything outstanding. More than shipped is refused. On a
    transfer made for an order still waiting for it, the units booked are held for
    that order at once (``transfer_arriving``)."""
    hold = still_wanted(transfer)
    transfer = _lock_transfer(transfer)
    if transfer.status not in {
        TransferStatus.IN_TRANSIT,
        TransferStatus.PARTIALLY_RECEIVED,
    }:
        raise IllegalTransition(
            obj="Transfer",
            current=transfer.status,
            target=TransferStatus.RECEIVED,
            choices=TransferStatus,
        )
    lines = {line.variant_id: line for line in transfer.lines.select_related("variant")}
    if quantities is None:
        quantities = {
            v: line.outstanding for v, line in lines.items() if line.outstanding
        }
    _check_receipt(lines, quantities)
    arrived = []
    for variant_id, qty in sorted(quantities.items()):
        if not qty:
            continue
        line = lines[variant_id]
        receive_stock(
            variant=line.variant,
            location=transfer.destination,
            quantity=qty,
            actor=actor,
            reason=MovementReason.TRANSFER_IN,
            reference_type="transfer",
            reference_id=str(transfer.pk),
            note=note,
        )
        line.quantity_received += qty
        line.save(update_fields=["quantity_received"])
        arrived.append(StockRequest(variant_id, transfer.destination_id, qty))
    if hold and arrived:
        reserve_stock(
            requests=arrived,
            reference_type=transfer.reference_type,
            reference_id=transfer.reference_id,
            actor=actor,
        )
    complete = all(line.outstanding == 0 for line in lines.values())
    target = TransferStatus.RECEIVED if complete else TransferStatus.PARTIALLY_RECEIVED
    _transition(transfer, target, actor=actor, note=note)
    if complete:
        transfer.received_at = timezone.now()
    transfer.save(update_fields=["status", "received_at"])
    return transfer


def _check_receipt(lines: dict[int, TransferLine], quantities: dict[int, int]) -> None:
    """Every unit received is on the transfer and was shipped, not yet received."""
    errors = {}
    for variant_id, qty in quantities.items():
        line = lines.get(variant_id)
        if line is None:
            errors[str(variant_id)] = ["This item is not on the transfer."]
        elif not isinstance(qty, int) or qty < 0:
            errors[line.variant.sku] = ["Must be zero or more."]
        elif qty > line.outstanding:
            errors[line.variant.sku] = [
                f"Only {line.outstanding} shipped and not yet received; cannot receive {qty}."
            ]
    if not any(quantities.values()) and not errors:
        errors["quantities"] = ["Receive at least one unit."]
    if errors:
        raise ValidationFailed("The receipt does not match the transfer.", extra=errors)


def still_wanted(transfer: Transfer | int) -> bool:
    """Whether what arrives now is held for the transfer's reference (an order not
    cancelled on the way); a transfer asked for the shop's own shelves is not. A
    receipt asks it before the transfer is locked: the reference's row is locked
    first, as a cancellation of the order locks it before the transfer and the
    locations."""
    if not isinstance(transfer, Transfer):
        transfer = Transfer.objects.filter(pk=transfer).first()
    if transfer is None or not transfer.reference_type:
        return False
    answers = transfer_arriving.send(sender=Transfer, transfer=transfer)
    return any(answer is True for _receiver, answer in answers)


@transaction.atomic
def cancel_transfer(
    *,
    transfer: Transfer | int,
    actor=None,
    note: str = "",
    with_its_reference: bool = False,
) -> Transfer:
    """Only a transfer not yet shipped can be cancelled; its reservations are released.
    One made for something (an order waiting for it: ``reference_type``) is cancelled
    only with that thing (``with_its_reference``), never on its own."""
    transfer = _lock_transfer(transfer)
    if transfer.reference_type and not with_its_reference:
        raise Conflict(
            f"Transfer {transfer} brings the goods of {transfer.reference_type} "
            f"{transfer.reference_id}: it is cancelled with it.",
            code="transfer_for_reference",
        )
    if transfer.status != TransferStatus.REQUESTED:
        raise IllegalTransition(
            obj="Transfer",
            current=transfer.status,
            target=TransferStatus.CANCELLED,
            choices=TransferStatus,
        )
    release_reservations(
        reservations=list(_transfer_reservations(transfer)), actor=actor, note=note
    )
    _transition(transfer, TransferStatus.CANCELLED, actor=actor, note=note)
    transfer.save(update_fields=["status"])
    return transfer


def lapse_stale_asks(*, now=None) -> list[int]:
    """Asks for stock (no order behind them) not shipped within
    ``OMNISTORE_TRANSFER_ASK_DAYS`` lapse: cancelled, the units held at the source
    released, the history saying why. Each in its own transaction; one shipped
    meanwhile is left alone. Returns the ids of the lapsed transfers."""
    days = settings.OMNISTORE_TRANSFER_ASK_DAYS
    if not days:
        return []
    cutoff = (now or timezone.now()) - timedelta(days=days)
    stale = Transfer.objects.filter(
        status=TransferStatus.REQUESTED, reference_type="", created_at__lt=cutoff
    ).order_by("pk")
    note = f"Not shipped within {days} days: the units held at the source are free."
    lapsed = []
    for pk in stale.values_list("pk", flat=True)[:LAPSE_BATCH]:
        try:
            cancel_transfer(transfer=pk, note=note)
        except IllegalTransition:
            continue  # shipped since it was read
        lapsed.append(pk)
    return lapsed


LAPSE_BATCH = 500


NOTE_MAX = 250  # a history row's note
CLOSE_REASON_MAX = 120  # the rest of the note names the missing lines


def _missing_summary(missing: list[str], *, room: int) -> str:
    """The missing lines that fit in ``room`` characters, then how many more there are
    (the transfer's lines keep each one's units sent and received)."""
    if not missing:
        return "nothing"
    shown: list[str] = []
    for at, item in enumerate(missing):
        rest = len(missing) - at - 1
        more = f", and {rest} more lines" if rest else ""
        if len(", ".join([*shown, item]) + more) > room:
            left = len(missing) - len(shown)
            return (
                ", ".join(shown) + f", and {left} more lines"
                if shown
                else (f"{len(missing)} lines")
            )
        shown.append(item)
    return ", ".join(shown)


def _close_reason(reason: str) -> str:
    """The reason a transfer is closed short, as its history keeps it."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(
            "Say why the transfer is closed short.",
            extra={"reason": ["Say why the transfer is closed short."]},
        )
    if len(reason) > CLOSE_REASON_MAX:
        message = f"Say it in at most {CLOSE_REASON_MAX} characters."
        raise ValidationFailed(message, extra={"reason": [message]})
    return reason


def _end_short(transfer: Transfer, head: str, missing: list[str], *, actor) -> None:
    """The transfer ends as received with what did arrive; its history keeps the
    reason (``head``) and the missing lines (``_missing_summary``)."""
    note = head + _missing_summary(missing, room=NOTE_MAX - len(head) - 1) + ")"
    _transition(transfer, TransferStatus.RECEIVED, actor=actor, note=note)
    transfer.received_at = timezone.now()
    transfer.save(update_fields=["status", "received_at"])


@transaction.atomic
def close_transfer_short(
    *, transfer: Transfer | int, actor=None, reason: str
) -> Transfer:
    """The destination gives up on units that will not arrive (lost or damaged in
    transit): the transfer ends as received with what did arrive. Shipped units left
    the source's stock when they were shipped, so no level changes; the history
    keeps the reason and the missing lines (``_missing_summary``). One made for
    something still waiting for it (an order) tells it what is missing
    (``transfer_closed_short``), its row locked before the transfer's as at a
    receipt."""
    wanted = still_wanted(transfer)
    transfer = _lock_transfer(transfer)
    if transfer.status not in {
        TransferStatus.IN_TRANSIT,
        TransferStatus.PARTIALLY_RECEIVED,
    }:
        raise IllegalTransition(
            obj="Transfer",
            current=transfer.status,
            target=TransferStatus.RECEIVED,
            choices=TransferStatus,
        )
    reason = _close_reason(reason)
    short = [
        line
        for line in transfer.lines.select_related("variant").order_by("pk")
        if line.outstanding
    ]
    missing = [f"{line.variant.sku} ×{line.outstanding}" for line in short]
    _end_short(transfer, f"Closed short: {reason} (missing ", missing, actor=actor)
    if wanted and short:
        transfer_closed_short.send(
            sender=Transfer,
            transfer=transfer,
            missing={line.variant_id: line.outstanding for line in short},
            reason=reason,
            actor=actor,
        )
    return transfer


@transaction.atomic
def close_unsent_short(
    *, transfer: Transfer | int, variant_id: int, units: int, reason: str, actor=None
) -> dict[int, int]:
    """The source cannot find ``units`` of an item on a transfer not shipped yet:
    they are written off there as a count naming the transfer (``write_off_held``),
    the rest of its hold is given back, and the transfer ends as one closed short
    does, nothing having left: every unit it was to bring is missing. Made for
    something waiting for it (an order), whose row the caller locked first, as a
    receipt locks it; the caller asks for the units again. Returns them, by item."""
    transfer = _lock_transfer(transfer)
    if transfer.status != TransferStatus.REQUESTED:
        raise IllegalTransition(
            obj="Transfer",
            current=transfer.status,
            target=TransferStatus.RECEIVED,
            choices=TransferStatus,
        )
    reason = _close_reason(reason)
    lines = list(transfer.lines.select_related("variant").order_by("pk"))
    line = next((line for line in lines if line.variant_id == variant_id), None)
    if line is None:
        message = "This item is not on the transfer."
        raise ValidationFailed(message, extra={"line": [message]})
    if not isinstance(units, int) or units <= 0 or units > line.quantity:
        message = f"At most {line.quantity}: the units of it on the transfer."
        raise ValidationFailed(message, extra={"units": [message]})
    source = transfer.source
    write_off_held(
        reservations=_transfer_reservations(transfer).filter(variant_id=variant_id),
        units=units,
        note=f"Not on the shelf at {source.name} for transfer {transfer}: {reason}",
        reference_type="transfer",
        reference_id=str(transfer.pk),
        actor=actor,
    )
    release_reservations(
        reservations=list(_transfer_reservations(transfer)),
        actor=actor,
        note=f"Transfer {transfer} closed short before shipping",
    )
    missing = [f"{line.variant.sku} ×{line.quantity}" for line in lines]
    head = f"Closed short before shipping: {reason} (missing "
    _end_short(transfer, head, missing, actor=actor)
    return {line.variant_id: line.quantity for line in lines}
