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
from orders.models import FulfilmentMethod, FulfilmentStatus, Order
from orders.selectors.orders import order_detail as find_order


def region(store) -> str | None:
    return store.country if store is not None else None


def order_or_404(number: str) -> Order:
    try:
        return find_order(number=number)
    except NotFound:
        raise Http404("No such order.") from None


def acts_at(fulfilment, location_id, action: str | None) -> bool:
    """Whether a shop does ``action`` for this fulfilment: it picks what leaves its
    shelves (or what a transfer brought to it), makes ready and hands over at its
    pickup desk, ships deliveries it sources. A shop that only sends a transfer does
    that from the stock screens, not here."""
    transferred = fulfilment.transfer_id is not None
    if action == "pick":
        return (fulfilment.location_id == location_id and not transferred) or (
            fulfilment.pickup_location_id == location_id and transferred
        )
    if action in ("ready", "collect"):
        return fulfilment.pickup_location_id == location_id
    if action == "ship":
        return (
            fulfilment.method == FulfilmentMethod.DELIVERY
            and fulfilment.location_id == location_id
        )
    if transferred:  # the sending shop's part is the transfer
        return fulfilment.pickup_location_id == location_id
    return location_id in (fulfilment.location_id, fulfilment.pickup_location_id)


def may_act(user, order: Order, action: str | None = None) -> bool:
    """HQ acts anywhere; shop staff where the order's fulfilment is at their shops."""
    ids = shop_ids(user)
    if ids is None:
        return True
    return any(
        acts_at(f, shop, action)
        for f in order.fulfilments.all()
        if f.status != FulfilmentStatus.CANCELLED
        for shop in ids
    )


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


def sold_or_fulfilled_here(user, order: Order) -> bool:
    """Fulfilled or placed at one of the user's shops (HQ: any order): who may
    cancel it, email its receipt again and issue its invoice."""
    return may_act(user, order) or (
        order.placing_location_id is not None
        and order.placing_location_id in shop_ids(user)
    )


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
