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
    """What the units of ``transfer``, made for an order, are for now. Only a
    cancelled order frees them (``FREED``); an order handed over has had them
    (``DONE``); a part waiting on this transfer waits for them (``WAITS``); a part
    now waiting on a transfer asked later for its items (``MOVED``: what this one
    did not bring, closed short, or what it brought and its pickup shop then could
    not find, *Not on our shelf*) waits for them there. Nothing locked; one query
    for an order cancelled or handed over, two else, three when its parts wait on
    another transfer. None for an order that does not exist, or that no part of
    waits on this transfer or on one asked after it."""
    order = Order.objects.filter(number=transfer.reference_id).first()
    if order is None:
        return None
    if order.status == OrderStatus.CANCELLED:
        return TransferPurpose(FREED)
    if order.status not in CANCELLABLE_STATUSES:
        return TransferPurpose(DONE)
    parts = list(
        order.fulfilments.exclude(status=FulfilmentStatus.CANCELLED).select_related(
            "transfer"
        )
    )
    if any(part.transfer_id == transfer.pk for part in parts):
        return TransferPurpose(WAITS)
    now_on = _asked_again(transfer, parts)
    return None if now_on is None else TransferPurpose(MOVED, now_on)


def _asked_again(transfer: Transfer, parts: Sequence[Fulfilment]) -> Transfer | None:
    """The transfer a part of the order now waits for instead of ``transfer``: one
    requested once ``transfer`` was received or closed short, bringing an item
    missing on it, or, when nothing was missing, one of its items (brought, then
    not found on the pickup shop's shelf). The first such; a part asked again more
    than once waits on the last one asked. The lines of ``transfer`` are read as
    loaded with it; one query, none when no part waits on a later transfer."""
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
    lines = list(transfer.lines.all())
    items = [line.variant_id for line in lines if line.missing] or [
        line.variant_id for line in lines
    ]
    found = (
        TransferLine.objects.filter(transfer_id__in=list(later), variant_id__in=items)
        .order_by("transfer_id")
        .values_list("transfer_id", flat=True)
        .first()
    )
    return later.get(found)
