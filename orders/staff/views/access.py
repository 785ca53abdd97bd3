"""Which order a staff member means, and whether they may act on it where they are.

Any associate may look at any order found by its number (customer service across
channels). They act on an order — pick, make ready, ship, hand over, cancel — only when
it is fulfilled at their shop (cancel, the delivery address, and its documents —
emailing the receipt again, issuing the invoice — also when it was placed there);
anything else answers 404, as if it did not exist. HQ acts everywhere.

An order split over several locations is picked and shipped part by part. A step
sent without naming its part works on the part of the shop staff are working in (the
one picked in the header); an order whose part for a step is at one location only is
worked on there by anyone who may act at that location, wherever they are working. A
step may name its part's location (``location``): HQ works on any location's part,
warehouses included (they have no staff of their own); managers on their shops'
parts; an associate on the part above and on the warehouses among their locations.
A location that is no part of the order, or outside that reach, answers 404.

A shipped delivery is marked delivered by HQ, by staff whose locations include one it
left from, and by a manager of the shop that took it (``may_confirm_delivery``).
"""

from __future__ import annotations

from django.http import Http404

from inventory.models import Location, LocationKind
from omnistore.accounts.scoping import shop_ids
from omnistore.core.digits import is_digits
from omnistore.core.exceptions import NotFound
from omnistore.staff.auth import current_store, visible_locations
from orders.models import FulfilmentMethod, FulfilmentStatus, Order, OrderStatus
from orders.selectors.access import (
    acts_at,
    may_act,
    may_confirm_delivery,
    sold_or_fulfilled_here,
)
from orders.selectors.orders import order_detail as find_order
from orders.services.parts import awaits_transfer
from orders.services.shortage import on_shelf_here


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


def part_location(order: Order, named, action: str) -> Location | None:
    """The location a posted ``named`` id stands for when it does ``action`` for a
    part of ``order`` (not cancelled); None for anything else."""
    if not is_digits(named) or len(str(named)) > 18:
        return None
    pk = int(named)
    for f in order.fulfilments.all():
        if f.status == FulfilmentStatus.CANCELLED or not acts_at(f, pk, action):
            continue
        places = (f.location, f.pickup_location)
        return next((p for p in places if p is not None and p.pk == pk), None)
    return None


def may_work_at(user, order: Order, store, location: Location, action: str) -> bool:
    """Whether ``user`` picks or ships (``action``) the part of ``order`` at
    ``location``: HQ any; managers their locations'; an associate the part
    ``acting_shop`` gives them and those at the warehouses among their locations."""
    ids = shop_ids(user)
    if ids is None:
        return True
    if location.pk not in ids:
        return False
    if user.is_manager or location.kind == LocationKind.WAREHOUSE:
        return True
    shop = acting_shop(user, order, store, action)
    return shop is not None and shop.pk == location.pk


def acting_part(request, number: str, action: str) -> tuple[Order, Location]:
    """The order and the location whose part of it the staff member picks or ships:
    the one the form names (``location``), else ``acting_shop``; anything else
    answers 404."""
    order = order_or_404(number)
    store = current_store(request)
    named = request.POST.get("location", "")
    if named:
        place = part_location(order, named, action)
        if place is None or not may_work_at(request.user, order, store, place, action):
            raise Http404("No such order.")
        return order, place
    shop = acting_shop(request.user, order, store, action)
    if shop is None:
        raise Http404("No such order.")
    return order, shop


def part_steps(user, order: Order, store) -> list[dict]:
    """The pick and ship steps ``user`` may take on ``order``: one row a location
    (``location``, and ``pick`` / ``ship``), in the order of the parts. A part waiting
    to be picked is picked where its shelf is (the pickup shop, for what a transfer
    brought); a picked delivery part leaves from where it was sourced.

    A location picks all its parts at once, so while a transfer bringing one of them
    has not been received it picks none: its row lists those transfers (``awaits``)
    instead of ``pick``: ``mark_picked``'s refusal (``awaits_transfer``), read
    from the transfers the order page has already loaded. ``shelf``: it holds units
    of a pickup or delivery part it picks, not waiting for a transfer, the parts
    *Not on our shelf* offers (``shortage.on_shelf_here``); a part still on its way
    is not on its shelf, its transfer's page is where its sender reports it."""
    picking = order.status in (OrderStatus.PLACED, OrderStatus.PICKED)
    rows: dict[int, dict] = {}
    for f in order.fulfilments.all():
        if f.status == FulfilmentStatus.PENDING and picking:
            step, place = "pick", f.pickup_location if f.transfer_id else f.location
        elif (
            f.status == FulfilmentStatus.PICKED
            and f.method == FulfilmentMethod.DELIVERY
            and order.status == OrderStatus.PICKED
        ):
            step, place = "ship", f.location
        else:
            continue
        if place is None or not may_work_at(user, order, store, place, step):
            continue
        row = rows.setdefault(
            place.pk,
            {
                "location": place,
                "pick": False,
                "ship": False,
                "awaits": [],
                "shelf": False,
            },
        )
        row[step] = True
        if step == "pick" and awaits_transfer(f):
            row["awaits"].append(f.transfer)
        elif step == "pick" and on_shelf_here(f, place.pk):
            row["shelf"] = True
    for row in rows.values():
        row["pick"] = row["pick"] and not row["awaits"]
    return list(rows.values())


def warehouses_worked(user, store) -> list[int] | None:
    """The warehouses whose parts ``user`` picks and ships from their picking list:
    every one for HQ (None), else those among their locations (none: ``[]``); the
    location they are working at is left out, a warehouse too: its own sections
    list its parts. One query, only for someone with several locations or for HQ
    working at a warehouse."""
    ids = shop_ids(user)
    if ids is None:
        if store is None or store.is_shop:
            return None
        others = Location.objects.filter(kind=LocationKind.WAREHOUSE)
        return list(others.exclude(pk=store.pk).values_list("pk", flat=True))
    others = ids - {store.pk} if store is not None else ids
    if not others:
        return []
    return list(
        visible_locations(user)
        .filter(pk__in=others, kind=LocationKind.WAREHOUSE)
        .values_list("pk", flat=True)
    )


def delivering_order(request, number: str) -> Order:
    """The order a staff member marks delivered; one they may not answers 404."""
    order = order_or_404(number)
    if not may_confirm_delivery(request.user, order):
        raise Http404("No such order.")
    return order


def acting_order(request, number: str, action: str) -> Order:
    order = order_or_404(number)
    allowed = (
        sold_or_fulfilled_here(request.user, order)
        if action in ("cancel", "address", "documents")
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
