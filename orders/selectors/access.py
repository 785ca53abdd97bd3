"""Which shops act on an order: the rule the staff pages and the admin follow.

They act on an order — pick, make ready, ship, hand over, cancel — only when it is
fulfilled at their shop (cancel, and its documents — emailing the receipt again,
issuing the invoice — also when it was placed there). A shop that only sends a
transfer for another shop's pickup does that from the stock screens: the order is
the pickup shop's. HQ acts everywhere, but a warehouse it acts for cancels no order
paid in cash: it has no till to give the cash back from (``cancelled_elsewhere``);
nor does the admin, which is no counter (``cancelled_at_its_shop``).
"""

from __future__ import annotations

from inventory.models import Location, LocationKind
from omnistore.accounts.scoping import shop_ids
from orders.models import FulfilmentMethod, FulfilmentStatus, Order, PaymentMethod
from orders.selectors.payments import refunded_at_cancellation
from orders.selectors.pickups import cash_held


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


def cancelled_elsewhere(order: Order, location) -> str:
    """Who cancels ``order`` when ``location`` cannot: cancelling gives the cash it
    was paid back from a till, and a warehouse has none, so the shop that sold it
    does, from its till. Empty when ``location`` can: a shop, or no cash to give
    back; no location (the admin) is ``cancelled_at_its_shop``'s."""
    if location is None or location.is_shop:
        return ""
    payments = order.payments.all()
    if not any(
        p.method == PaymentMethod.CASH and refunded_at_cancellation(p) for p in payments
    ):
        return ""
    sold_at = order.placing_location.name if order.placing_location_id else ""
    shop = f"{sold_at}, the shop that sold it," if sold_at else "The shop that sold it"
    return (
        f"{location.name} is a warehouse: it has no till to give back the cash this "
        f"order was paid in. {shop} cancels it and gives the cash back from its till."
    )


def cancelled_at_its_shop(order: Order) -> str:
    """Why ``order`` is not cancelled away from every counter (the admin): the cash
    it still holds (``cash_held``) goes back from the till of the shop that sold
    it, so it is cancelled from its page there. Empty when it holds none."""
    if not cash_held().filter(order_id=order.pk).exists():
        return ""
    shop = order.placing_location.name if order.placing_location_id else "a shop"
    return (
        f"Order {order.number} was paid in cash at {shop}: the cash goes back from "
        "that shop's till, so it is cancelled from the order's page at that shop."
    )


def approving_shop(user, order: Order) -> Location | None:
    """Where a store or area manager's own move on ``order`` away from a counter (the
    admin) is approved, as the staff pages approve it at the shop they act for: their
    home shop when it took or fulfils the order, else the first of the order's shops
    among theirs (the one that took it, then those fulfilling it). None for anyone
    else: HQ's moves there are of no one shop."""
    if user is None or not user.is_manager or user.sees_all_stores:
        return None
    ids = shop_ids(user)
    mine = [order.placing_location_id] if order.placing_location_id in ids else []
    for f in order.fulfilments.all():
        if f.status != FulfilmentStatus.CANCELLED:
            places = (f.location_id, f.pickup_location_id)
            mine += [p for p in places if p in ids and acts_at(f, p, None)]
    if not mine:
        return None
    return Location.objects.get(pk=user.store_id if user.store_id in mine else mine[0])


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
