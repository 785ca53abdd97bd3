"""Which order a staff member means, and whether they may act on it where they are.

Any associate may look at any order found by its number (customer service across
channels). They act on an order — pick, make ready, ship, hand over, cancel — only when
it is fulfilled at their shop (cancel, and its documents — emailing the receipt again,
issuing the invoice — also when it was placed there); anything else answers 404, as if
it did not exist. HQ acts everywhere.

An order split over several shops is picked and shipped part by part: staff work on the
part of the shop they are working in (the one picked in the header), never on another
shop's. An order whose part for a step is at one shop only is worked on there by anyone
who may act at that shop, wherever they are working.
"""

from __future__ import annotations

from django.http import Http404

from inventory.models import Location
from omnistore.accounts.scoping import shop_ids
from omnistore.core.exceptions import NotFound
from omnistore.staff.auth import current_store
from orders.models import FulfilmentStatus, Order
from orders.selectors.access import acts_at, may_act, sold_or_fulfilled_here
from orders.selectors.orders import order_detail as find_order


def region(store) -> str | None:
    return store.country if store is not None else None


def order_or_404(number: str) -> Order:
    try:
        return find_order(number=number)
    except NotFound:
        raise Http404("No such order.") from None


def parts_at(order: Order, location_id: int, action: str) -> list:
    """The order's parts (not cancelled) the shop ``location_id`` works on for
    ``action`` (``pick`` or ``ship``)."""
    return [
        f
        for f in order.fulfilments.all()
        if f.status != FulfilmentStatus.CANCELLED and acts_at(f, location_id, action)
    ]


def acting_shop(user, order: Order, store, action: str) -> Location | None:
    """The shop whose part of ``order`` a staff member picks or ships (``action``):
    the shop they are working in (``store``) when it has a part and is theirs; else,
    when the order's part for this step is at one shop only, that shop if it is
    theirs. None otherwise: a shop without a part, or another shop's part of an order
    split over several."""
    shops = {}
    for f in order.fulfilments.all():
        if f.status == FulfilmentStatus.CANCELLED:
            continue
        for shop in (f.location, f.pickup_location):
            if shop is not None and acts_at(f, shop.pk, action):
                shops[shop.pk] = shop
    ids = shop_ids(user)
    mine = {pk: shop for pk, shop in shops.items() if ids is None or pk in ids}
    if store is not None and store.pk in mine:
        return mine[store.pk]
    if len(shops) == 1 and mine:
        return next(iter(mine.values()))
    return None


def acting_part(request, number: str, action: str) -> tuple[Order, Location]:
    """The order and the shop whose part of it the staff member picks or ships
    (``acting_shop``); anything else answers 404."""
    order = order_or_404(number)
    shop = acting_shop(request.user, order, current_store(request), action)
    if shop is None:
        raise Http404("No such order.")
    return order, shop


def acting_order(request, number: str, action: str) -> Order:
    order = order_or_404(number)
    allowed = (
        sold_or_fulfilled_here(request.user, order)
        if action in ("cancel", "documents")
        else may_act(request.user, order, action)
    )
    if not allowed:
        raise Http404("No such order.")
    return order


def where(order: Order, store, *, pickup: bool):
    """The shop an action happens at, for the status history: the pickup shop for
    ready and hand-over; for pick and ship, the acting shop when it is a source."""
    fulfilments = [
        f for f in order.fulfilments.all() if f.status != FulfilmentStatus.CANCELLED
    ]
    if pickup:
        shop = next((f.pickup_location for f in fulfilments if f.pickup_location), None)
        return shop or store
    if store is not None and any(f.location_id == store.pk for f in fulfilments):
        return store
    return fulfilments[0].location if fulfilments else store
