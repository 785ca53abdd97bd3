"""Domain events other apps subscribe to, and questions they answer, so inventory
never imports them.

``stock_changed`` carries ``changes``: a list of ``(variant_id, location_id)`` pairs whose
level moved, except holds (reservations) that left units free at their location beyond
the safety stock: those can neither bring an item back nor empty a location. Higher apps
(campaigns: back in stock) listen without inventory importing them. It is sent after
commit.

``location_in_use_as_shop`` is asked, not announced (``shop_uses``): before a location
stops serving as a shop (made a warehouse, its counter closed, taken out of use), each
receiver answers what still keeps it in use as one, in words (orders: a till session
open there, pickup orders for it not yet handed over); none answered, it may go.
"""

from __future__ import annotations

from django.dispatch import Signal

stock_changed = Signal()

location_in_use_as_shop = Signal()


def shop_uses(location) -> list[str]:
    """What keeps ``location`` in use as a shop, each reason in words; empty when
    nothing does."""
    reasons: list[str] = []
    for _receiver, answer in location_in_use_as_shop.send(
        sender=type(location), location=location
    ):
        reasons.extend(answer or ())
    return reasons
