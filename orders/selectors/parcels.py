"""An order's parcels as its customer reads them: what left in each, with which
carrier, and where to follow it (``orders.carriers`` builds the link). Read from the
order's fulfilments and lines as loaded (the order emails prefetch them): no query of
its own."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from orders.carriers import carrier_name
from orders.models import Fulfilment, FulfilmentStatus, Order
from orders.selectors.receipts import same_items_once


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
    coming = {
        f.pk
        for f in parts
        if f.pk not in part_ids
        and f.status in (FulfilmentStatus.PENDING, FulfilmentStatus.PICKED)
    }
    here = same_items_once(x for x in lines if x.fulfilment_id in part_ids)
    return {
        "parcel": Parcel.of(left[0], here) if left else Parcel("", here),
        "to_follow": same_items_once(x for x in lines if x.fulfilment_id in coming),
        "parcels_to_follow": len(coming),
    }
