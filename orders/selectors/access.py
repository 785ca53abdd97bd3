"""Which shops act on an order: the rule the staff pages and the admin follow.

They act on an order — pick, make ready, ship, hand over, cancel — only when it is
fulfilled at their shop (cancel, and its documents — emailing the receipt again,
issuing the invoice — also when it was placed there). A shop that only sends a
transfer for another shop's pickup does that from the stock screens: the order is
the pickup shop's. HQ acts everywhere.
"""

from __future__ import annotations

from inventory.models import LocationKind
from omnistore.accounts.scoping import shop_ids
from orders.models import FulfilmentMethod, FulfilmentStatus, Order


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


def sold_or_fulfilled_here(user, order: Order) -> bool:
    """Fulfilled or placed at one of the user's shops (HQ: any order): who may
    cancel it, email its receipt again and issue its invoice."""
    return may_act(user, order) or (
        order.placing_location_id is not None
        and order.placing_location_id in shop_ids(user)
    )


def has_a_shop(order: Order) -> bool:
    """Whether a shop took the order or fulfils it (a web delivery shipped from a
    warehouse has none: every desk, and HQ, see to it)."""
    places = [order.placing_location]
    for f in order.fulfilments.all():
        if f.status != FulfilmentStatus.CANCELLED:
            places += [f.pickup_location, None if f.transfer_id else f.location]
    return any(p is not None and p.kind == LocationKind.SHOP for p in places)


def may_confirm_delivery(user, order: Order) -> bool:
    """Who says a parcel reached the customer: HQ; staff whose locations include one
    it left from (warehouses given to them included); a manager of the shop that took
    the order, whom the customer calls."""
    ids = shop_ids(user)
    if ids is None:
        return True
    left_from = {
        f.location_id
        for f in order.fulfilments.all()
        if f.method == FulfilmentMethod.DELIVERY
        and f.status != FulfilmentStatus.CANCELLED
    }
    if left_from & ids:
        return True
    return user.is_manager and sold_or_fulfilled_here(user, order)
