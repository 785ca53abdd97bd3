"""Reads of the pickup desk: orders ready at a shop, found by QR, number, code or the
customer's name, email, phone or loyalty card; every order still to be collected at a
shop; the pickups left to their shop once past their date (cash held); and whether a
pickup's code is given to its customer at the desk (an order without an email)."""

from __future__ import annotations

from django.db.models import Exists, F, OuterRef, Q, QuerySet

from customers.models import CustomerIdentity, IdentityKind
from customers.normalize import normalize_loyalty_number
from customers.selectors.profiles import name_condition
from inventory.models import Location
from orders.models import (
    CANCELLABLE_STATUSES,
    Fulfilment,
    FulfilmentMethod,
    FulfilmentStatus,
    Order,
    OrderStatus,
    Payment,
    PaymentMethod,
)
from orders.selectors.orders import with_fulfilments

PICKUP_QR_PREFIX = "OMNISTORE-PICKUP"


def cash_held() -> QuerySet[Payment]:
    """Cash an order took and has not all given back. A pickup holding some is left
    to its shop once past its date, the cash going back from a till: the clock does
    not cancel and refund it (``expire_uncollected_pickups``), its emails promise no
    refund, and the desk lists it as waiting for the shop."""
    return Payment.objects.filter(
        method=PaymentMethod.CASH, amount__gt=F("refunded_amount")
    )


def waits_for_the_shop(order: Order) -> bool:
    """Whether ``order``, not collected by its date, waits for its shop to cancel it
    rather than being cancelled and refunded by itself (``cash_held``). One query."""
    return cash_held().filter(order_id=order.pk).exists()


def pickups_waiting(*, location) -> QuerySet[Order]:
    """Orders ready at this shop's pickup desk, the ones expiring first on top; each
    says whether it ``waits_for_shop`` once past its date (``cash_held``)."""
    return (
        with_fulfilments(
            Order.objects.filter(
                status=OrderStatus.READY,
                fulfilments__pickup_location=location,
                fulfilments__method=FulfilmentMethod.PICKUP,
            )
        )
        .annotate(waits_for_shop=Exists(cash_held().filter(order_id=OuterRef("pk"))))
        .order_by("pickup_expires_at", "id")
    )


def why_no_pickup_slip(order: Order, location) -> str:
    """Why staff at ``location`` may not see ``order``'s pickup code to give it to
    the customer; empty when they may. The code is a handover secret: it is shown
    only for a ready order without an email (one with an email was sent it; a
    customer who lost it is handed the order on their identity), not locked after
    wrong codes, and only at its pickup shop's desk."""
    if order.status != OrderStatus.READY:
        return f"Order {order.number} is not ready for pickup: it has no pickup code."
    if order.email:
        return (
            f"Order {order.number} was emailed its pickup code. A customer who lost "
            "it is handed the order on their identity at the desk."
        )
    if order.pickup_locked_at is not None:
        return (
            f"Order {order.number} is locked after too many wrong pickup codes: "
            "it is unlocked at the pickup desk first."
        )
    here = location is not None and any(
        f.pickup_location_id == location.pk
        for f in order.fulfilments.all()
        if f.status != FulfilmentStatus.CANCELLED
    )
    if not here:
        return "The pickup code is shown only at the pickup shop's desk."
    return ""


def open_pickups_at(*, location) -> QuerySet[Order]:
    """Orders to be collected at this shop and not handed over yet: placed, picked,
    on their way to it on a transfer or ready at its desk (an order stays cancellable
    until it is handed over), oldest first. Each one is a customer who will come to
    this shop's desk. One query."""
    parts = Fulfilment.objects.filter(
        method=FulfilmentMethod.PICKUP, pickup_location=location
    ).exclude(status__in=(FulfilmentStatus.COLLECTED, FulfilmentStatus.CANCELLED))
    return Order.objects.filter(
        status__in=CANCELLABLE_STATUSES, pk__in=parts.values("order_id")
    ).order_by("created_at", "id")


def pickup_qr_payload(order: Order) -> str:
    """What the pickup QR encodes: scanning it at the desk finds the order and code."""
    return f"{PICKUP_QR_PREFIX}:{order.number}:{order.pickup_code}"


def parse_pickup_qr(text: str) -> tuple[str, str] | None:
    """``(number, code)`` from a scanned pickup QR, or None for anything else."""
    parts = (text or "").strip().split(":")
    if len(parts) != 3 or parts[0] != PICKUP_QR_PREFIX:
        return None
    return parts[1].upper(), parts[2].upper()


def find_pickup(*, location, query: str) -> Order | None:
    """A ready order at this shop from a scanned QR, an order number or a pickup code."""
    query = (query or "").strip()
    if not query:
        return None
    scanned = parse_pickup_qr(query)
    waiting = pickups_waiting(location=location)
    if scanned is not None:
        return waiting.filter(number=scanned[0]).first()
    value = query.upper()
    return waiting.filter(Q(number=value) | Q(pickup_code=value)).first()


def pickup_search(
    *,
    location: Location,
    query: str,
    email: str | None = None,
    phone: str | None = None,
) -> QuerySet[Order]:
    """Orders ready at this desk matching a scanned pickup QR, an order number, the
    pickup code the customer reads out, or the customer's name, email, phone or
    loyalty card (as the customer search reads one; a merge carries the merged
    profile's cards and orders to the survivor, so its old card finds them).
    ``email`` and ``phone`` are the query as the customers app normalises them (any
    format typed), None when it is neither. Everything when ``query`` is empty;
    expiring first. Three queries."""
    waiting = pickups_waiting(location=location)
    query = (query or "").strip()[:100]
    if not query:
        return waiting
    scanned = parse_pickup_qr(query)
    if scanned is not None:
        return waiting.filter(number=scanned[0])
    where = Q(number=query.upper()) | Q(pickup_code=query.upper())
    if email:
        where |= (
            Q(email__iexact=email)
            | Q(customer__email__iexact=email)
            | Q(
                customer__identities__kind=IdentityKind.EMAIL,
                customer__identities__value=email,
            )
        )
    if any(ch.isdigit() for ch in query):
        if phone:
            where |= (
                Q(phone=phone)
                | Q(customer__phone=phone)
                | Q(
                    customer__identities__kind=IdentityKind.PHONE,
                    customer__identities__value=phone,
                )
            )
        card = normalize_loyalty_number(query)
        if card:  # a subquery: no query of its own, no order twice
            holders = CustomerIdentity.objects.filter(
                kind=IdentityKind.LOYALTY, value=card
            ).values("customer_id")
            where |= Q(customer_id__in=holders)
    else:
        name = name_condition(query, path="customer__")  # as the customer search
        if name:
            where |= name
    return waiting.filter(where)
