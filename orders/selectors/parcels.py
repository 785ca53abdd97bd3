"""An order's parcels as its customer reads them: what left in each, with which
carrier, and where to follow it (``orders.carriers`` builds the link). Read from the
order's fulfilments and lines as loaded (the order emails prefetch them): no query of
its own."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from orders.carriers import carrier_name
from orders.models import Fulfilment, FulfilmentMethod, FulfilmentStatus, Order
from orders.selectors.receipts import same_items_once

# A delivery part still at its source: not handed to a carrier, not cancelled. Where
# it goes can still change (``orders.services.delivery_address``).
NOT_LEFT = (FulfilmentStatus.PENDING, FulfilmentStatus.PICKED)


@dataclasses.dataclass(frozen=True)
class Parcel:
    """A part of a delivery that left: its tracking number and its lines, the
    carrier as the customer reads it and where they follow the parcel."""

    tracking: str
    lines: list
    carrier: str = ""
    tracking_url: str = ""

    @classmethod
    def of(cls, part: Fulfilment, lines: list) -> Parcel:
        return cls(
            part.tracking_reference,
            lines,
            carrier_name(part.carrier),
            part.tracking_url,
        )


def parcel_left(order: Order, part_ids: Sequence[int]) -> dict:
    """What a parcel's email lists: the parcel that left (``parts``: the order's
    fulfilments that left together, with one carrier and tracking number), its
    lines, and what of the order is still to come from its other parts."""
    parts = list(order.fulfilments.all())
    lines = list(order.lines.all())
    left = [f for f in parts if f.pk in part_ids]
    coming = {f.pk for f in parts if f.pk not in part_ids and f.status in NOT_LEFT}
    here = same_items_once(x for x in lines if x.fulfilment_id in part_ids)
    return {
        "parcel": Parcel.of(left[0], here) if left else Parcel("", here),
        "to_follow": same_items_once(x for x in lines if x.fulfilment_id in coming),
        "parcels_to_follow": len(coming),
    }


def parcels_not_left(parts) -> list[Fulfilment]:
    """The delivery parts among ``parts`` (as loaded) that have not left: neither
    shipped, delivered nor cancelled. A pickup or an in-store sale has none."""
    return [
        f
        for f in parts
        if f.method == FulfilmentMethod.DELIVERY and f.status in NOT_LEFT
    ]


def delivered_to(order: Order) -> dict:
    """Where the order's delivery goes now, as loaded: the address of its parts
    still to leave, else that of the last part that left ({} for none)."""
    parts = [
        f
        for f in order.fulfilments.all()
        if f.method == FulfilmentMethod.DELIVERY
        and f.status != FulfilmentStatus.CANCELLED
        and f.address
    ]
    waiting = parcels_not_left(parts)
    return (waiting or parts)[-1].address if parts else {}
