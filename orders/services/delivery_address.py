"""A delivery's address changed before it leaves: a street typed wrong, a customer
who moved or will be at work. The parts that have not left yet go to the new
address; what left already keeps the address it went to.

Prices, the delivery fee and VAT were worked out for the delivery's country, so the
country stays: another country is a new order. A customer changes it themselves
while they could still cancel (until the order is picked); staff while a part is
still to leave.

The order row is locked first (``lock_order``) and its parts read after, so a parcel
shipping at the same moment (``ship_order`` locks the same row) has either left,
keeping its address, or leaves afterwards to the new one.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from customers.services.timeline import changes_said
from inventory.models import Location
from omnistore.core.exceptions import Conflict
from orders.models import Fulfilment, FulfilmentMethod, Order, OrderStatus
from orders.selectors.parcels import NOT_LEFT, parcels_not_left

from .addresses import clean_address
from .common import (
    lock_order,
    note_in_history,
    order_webhook,
    record_order_event,
    send_order_email,
)

EVENT_ORDER_ADDRESS_CHANGED = "order_address_changed"
MAX_REASON = 200
# The fields a change says with their values, in this order; the coordinates are
# only named (the event's ``data`` keeps them whole).
SAID_FIELDS = ("name", "line1", "line2", "postcode", "city", "country", "phone")
UNSAID_FIELDS = ("latitude", "longitude")
# Where the coordinates point: the same street, postcode, city and country keep them.
PLACE_FIELDS = ("line1", "postcode", "city", "country")
FIELD_NAMES = {"line1": "line 1", "line2": "line 2"}


def may_change_address(order: Order) -> bool:
    """Whether the order has a delivery to send elsewhere, from its parts as loaded
    (what the order page offers; the service checks again under the lock)."""
    return order.status != OrderStatus.CANCELLED and bool(
        parcels_not_left(order.fulfilments.all())
    )


@transaction.atomic(durable=True)
def change_delivery_address(
    *,
    order: Order | int,
    address,
    actor=None,
    by_customer: bool = False,
    reason: str = "",
    location: Location | None = None,
    now: datetime | None = None,
) -> Order:
    """Send the parts of the order that have not left to ``address`` (checked as
    checkout checks it: a 400 on ``address``), written in the order's history and
    on its customer's timeline (who, when, the fields before and after, ``reason``;
    ``location``: the shop it was done at), and the customer told by email. The
    same address again changes nothing, coordinates or not: new coordinates alone
    are no change (nothing written, no email, no webhook; the parts keep theirs),
    and an address sent without them on the same street (``PLACE_FIELDS``) keeps
    the part's. Refused (409) for a cancelled order, one with nothing left to
    deliver, another country, or a customer asking once the order is picked."""
    now = now or timezone.now()
    order = lock_order(order)
    clean = clean_address(address)
    reason = " ".join((reason or "").split())[:MAX_REASON]
    parts = parcels_not_left(Fulfilment.objects.filter(order=order))
    _check_changeable(order, parts, clean["country"], by_customer=by_customer)
    sent_to = {f.pk: _with_kept_coordinates(f.address, clean) for f in parts}
    moving = [f for f in parts if _fields_changed(f.address, sent_to[f.pk])]
    if not moving:
        return order
    _send_parts(moving, sent_to)
    new = sent_to[moving[0].pk]
    fields = _fields_changed(moving[0].address, new)
    before = {f: moving[0].address.get(f) for f in fields}
    after = {f: new.get(f) for f in fields}
    said = changes_said(fields, before, after, names=FIELD_NAMES, unsaid=UNSAID_FIELDS)
    change = note_in_history(
        order,
        f"Delivery address changed: {said}" + (f". Why: {reason}" if reason else ""),
        at=now,
        actor=actor,
        location=location,
    )
    order.updated_at = now
    order.save(update_fields=["updated_at"])
    record_order_event(
        order,
        EVENT_ORDER_ADDRESS_CHANGED,
        f"Order {order.number}: delivery address changed: {said}",
        actor=actor,
        location=location,
        now=now,
        data={"fields": fields, "before": before, "after": after, "reason": reason},
    )
    order_webhook(order, "address_changed")
    send_order_email(order, "address_changed", dedupe=str(change.pk))
    return order


def _differs(before: dict, after: dict, field: str) -> bool:
    """Whether ``field`` differs, a field missing reading as empty."""
    return (before.get(field) or "") != (after.get(field) or "")


def _with_kept_coordinates(before: dict, clean: dict) -> dict:
    """``clean`` as a part goes to it: sent without coordinates (the staff form has
    none) to the same place (``PLACE_FIELDS``), with the part's coordinates, which
    still point there; to another place, without the old ones."""
    if any(f in clean for f in UNSAID_FIELDS) or any(
        _differs(before, clean, f) for f in PLACE_FIELDS
    ):
        return clean
    return clean | {f: before[f] for f in UNSAID_FIELDS if f in before}


def _fields_changed(before: dict, after: dict) -> list[str]:
    """The address fields whose values differ. The coordinates count only beside
    another field: alone, they are no change of address."""
    fields = [f for f in SAID_FIELDS if _differs(before, after, f)]
    if fields:
        fields += [f for f in UNSAID_FIELDS if _differs(before, after, f)]
    return fields


def _send_parts(moving: list[Fulfilment], sent_to: dict[int, dict]) -> None:
    """Each part to its address, one UPDATE per address (the parts not left share
    one), none that has left meanwhile."""
    groups: list[tuple[dict, list[int]]] = []
    for part in moving:
        address = sent_to[part.pk]
        group = next((pks for same, pks in groups if same == address), None)
        if group is None:
            groups.append((address, [part.pk]))
        else:
            group.append(part.pk)
    for address, pks in groups:
        Fulfilment.objects.filter(pk__in=pks, status__in=NOT_LEFT).update(
            address=address
        )


def _check_changeable(
    order: Order, parts: list[Fulfilment], country: str, *, by_customer: bool
) -> None:
    """Refuse, before anything is written, an order whose delivery cannot go
    elsewhere now."""
    if order.status == OrderStatus.CANCELLED:
        raise Conflict(
            f"Order {order.number} is cancelled: there is no delivery to change.",
            code="order_cancelled",
        )
    if not parts:
        delivered = order.fulfilments.filter(method=FulfilmentMethod.DELIVERY).exists()
        raise Conflict(
            f"Every parcel of order {order.number} has left: where it goes can no "
            "longer change."
            if delivered
            else f"Order {order.number} is not delivered to an address.",
            code="no_delivery_to_change",
        )
    for part in parts:
        current = (part.address.get("country") or order.tax_country or "").upper()
        if current and current != country:
            raise Conflict(
                f"Order {order.number} is delivered in {current}: its prices, "
                "delivery fee and VAT are those of that country. To deliver to "
                f"{country}, cancel the order and order again.",
                code="delivery_country_changed",
                extra={"country": current, "asked": country},
            )
    if by_customer and order.status != OrderStatus.PLACED:
        raise Conflict(
            f"Order {order.number} is being prepared: to change where it goes now, "
            "contact the shop.",
            code="address_change_too_late",
            extra={"status": order.status},
        )
