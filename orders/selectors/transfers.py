"""Reads of the transfers an order's pickup travels on: what the units of a transfer
made for an order are for now, as the transfer's page says it
(``inventory.signals.transfer_purpose``, answered in ``orders.receivers``)."""

from __future__ import annotations

from collections.abc import Sequence

from inventory.models import Transfer, TransferLine
from inventory.signals import DONE, FREED, MOVED, WAITS, TransferPurpose
from orders.models import (
    CANCELLABLE_STATUSES,
    Fulfilment,
    FulfilmentStatus,
    Order,
    OrderStatus,
)


def order_transfer_purpose(transfer: Transfer) -> TransferPurpose | None:
    """What the units of ``transfer``, made for an order, are for now. The order
    cancelled, or none of its parts waiting for them any more, frees them
    (``FREED``: a receipt would not hold them either, ``order_awaits_transfer``).
    Else an order handed over has had them (``DONE``); a part waiting on this
    transfer waits for them (``WAITS``); a part now waiting on the transfer that
    asked again for what this one did not bring (closed short,
    ``ask_again_for_missing``) waits for them there (``MOVED``). Nothing locked;
    two queries, three when the order's parts wait on another transfer. None for an
    order that does not exist."""
    order = Order.objects.filter(number=transfer.reference_id).first()
    if order is None:
        return None
    if order.status == OrderStatus.CANCELLED:
        return TransferPurpose(FREED)
    parts = list(
        order.fulfilments.exclude(status=FulfilmentStatus.CANCELLED).select_related(
            "transfer"
        )
    )
    here = any(part.transfer_id == transfer.pk for part in parts)
    now_on = None if here else _asked_again(transfer, parts)
    if not here and now_on is None:
        return TransferPurpose(FREED)
    if order.status not in CANCELLABLE_STATUSES:
        return TransferPurpose(DONE)
    if now_on is not None:
        return TransferPurpose(MOVED, now_on)
    return TransferPurpose(WAITS)


def _asked_again(transfer: Transfer, parts: Sequence[Fulfilment]) -> Transfer | None:
    """The transfer a part of the order now waits for instead of ``transfer``: one
    requested once ``transfer`` was closed short, bringing an item missing on it
    (the first such; a part asked again more than once waits on the last one
    asked). The lines of ``transfer`` are read as loaded with it; one query, none
    when no part waits on a later transfer."""
    if transfer.received_at is None:
        return None
    later = {
        part.transfer_id: part.transfer
        for part in parts
        if part.transfer_id is not None
        and part.transfer.created_at >= transfer.received_at
    }
    if not later:
        return None
    missing = [line.variant_id for line in transfer.lines.all() if line.missing]
    found = (
        TransferLine.objects.filter(transfer_id__in=list(later), variant_id__in=missing)
        .order_by("transfer_id")
        .values_list("transfer_id", flat=True)
        .first()
    )
    return later.get(found)
