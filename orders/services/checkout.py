"""Checkout: price the lines, source and hold the stock, take the payment, record the
order.

Rules kept here:
- ``place_order`` is one durable transaction: the order row is inserted first, so a
  repeated ``Idempotency-Key`` fails on its unique constraint before any stock is touched
  and the caller gets the order that already exists (two parallel requests make one);
- stock moves only through ``inventory.services`` (one ``reserve_stock`` call for every
  line, so a short line refuses the whole order and nothing stays reserved);
- side effects (emails, points) leave through the outbox, written in the same
  transaction, and their handlers are idempotent.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from customers.models import Customer
from customers.services import match_customer, record_event
from inventory import services as inventory
from inventory.models import Location, LocationKind, Variant
from omnistore.core import outbox
from omnistore.core.actors import acting_user
from omnistore.core.channels import Channel
from omnistore.core.db import insert_rows
from omnistore.core.exceptions import Conflict, ValidationFailed
from orders.models import (
    Cart,
    DiscountCode,
    Fulfilment,
    FulfilmentMethod,
    FulfilmentStatus,
    Order,
    OrderLine,
    OrderStatus,
    OrderStatusChange,
    Payment,
    PaymentMethod,
)
from orders.payments import get_provider

from .carts import _close_cart, storefront_customer
from .common import (
    _NUMBER_ALPHABET,
    ORDER_REFERENCE,
    _cache,
    _check_quantity,
    _money,
    _order_webhook,
    _sellable_variants,
)
from .discounts import _claim_discount, _price_discount, normalize_discount_code
from .payments import PaymentRequest, _check_payments, spend_store_credit
from .sourcing import _Leg, _location, _pickup_shop, _plan_legs

TRANSFER_LEAD_DAYS = 2


EVENT_ORDER_PLACED = "order_placed"


@dataclass(frozen=True)
class LineRequest:
    """One line to buy; ``variant`` may be a loaded ``Variant`` (no query) or its id."""

    variant: Variant | int
    quantity: int


def _new_number() -> str:
    chars = "".join(secrets.choice(_NUMBER_ALPHABET) for _ in range(10))
    return f"OS-{chars[:5]}-{chars[5:]}"


def _clean_address(address) -> dict:
    address = address if isinstance(address, dict) else {}
    errors = {}
    clean = {}
    for key in ("name", "line1", "line2", "city", "postcode", "country", "phone"):
        value = str(address.get(key) or "").strip()
        if len(value) > 250:
            errors[key] = ["Too long."]
        clean[key] = value
    for key in ("line1", "city", "postcode"):
        if not clean[key]:
            errors[key] = ["Required for delivery."]
    clean["country"] = (clean["country"] or "IT").upper()
    if len(clean["country"]) != 2:
        errors["country"] = ["Use the two-letter country code."]
    for key in ("latitude", "longitude"):
        if address.get(key) not in (None, ""):
            try:
                clean[key] = float(address[key])
            except (TypeError, ValueError):
                errors[key] = ["Must be a number."]
    if errors:
        raise ValidationFailed("Check the delivery address.", extra={"address": errors})
    return clean


@dataclass
class _Checkout:
    channel: str
    method: str
    lines: list[tuple[Variant, int]]
    legs: list[_Leg]
    subtotal: Decimal
    discount_total: Decimal
    total: Decimal
    payments: list[PaymentRequest]
    pickup_store: Location | None
    placing_location: Location | None
    address: dict
    customer: Customer | None
    user: object
    staff: object
    email: str
    phone: str
    first_name: str
    last_name: str
    loyalty_number: str
    idempotency_key: str
    discount_code: str
    cart: Cart | None
    now: datetime
    scope: str = ""
    discount: DiscountCode | None = None
    line_discounts: dict[int, Decimal] = field(default_factory=dict)


def place_order(
    *,
    lines: Sequence[LineRequest | tuple[Variant | int, int]],
    channel: str,
    fulfilment: str,
    pickup_store: Location | int | None = None,
    address: dict | None = None,
    customer: Customer | None = None,
    user=None,
    email: str = "",
    phone: str = "",
    first_name: str = "",
    last_name: str = "",
    loyalty_number: str = "",
    payments: Sequence[PaymentRequest] | None = None,
    placing_location: Location | int | None = None,
    staff=None,
    idempotency_key: str = "",
    discount_code: str = "",
    cart: Cart | None = None,
    now: datetime | None = None,
) -> Order:
    """Check out: price the lines, source and hold the stock, take the payment, record
    the order, attach it to the customer and queue the receipt — all or nothing.

    The customer is ``customer`` (chosen by staff), else the signed-in ``user``'s
    profile, else the profile matched by ``email``/``phone``/``loyalty_number`` (a guest
    lands on the profile that already has that identity); a carry-out sale to a walk-in
    may have none. ``carry_out`` sells from ``placing_location`` at once and completes
    the order. With an ``idempotency_key`` a repeated call returns the first order
    (its ``idempotent_replay`` attribute is True).
    """
    checkout = _prepare_checkout(
        lines=lines,
        channel=channel,
        method=fulfilment,
        pickup_store=pickup_store,
        address=address,
        customer=customer,
        user=user,
        email=email,
        phone=phone,
        first_name=first_name,
        last_name=last_name,
        loyalty_number=loyalty_number,
        payments=payments,
        placing_location=placing_location,
        staff=staff,
        idempotency_key=idempotency_key,
        discount_code=discount_code,
        cart=cart,
        now=now or timezone.now(),
    )
    for attempt in range(3):
        try:
            with transaction.atomic(durable=True):
                return _write_order(checkout, number=_new_number())
        except IntegrityError:
            if checkout.idempotency_key and checkout.scope:
                existing = Order.objects.filter(
                    idempotency_scope=checkout.scope,
                    idempotency_key=checkout.idempotency_key,
                ).first()
                if existing is not None:
                    existing.idempotent_replay = True
                    return existing
            if attempt == 2:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _prepare_checkout(*, lines, channel, method, **kw) -> _Checkout:
    """Validate everything that can be checked before the transaction opens."""
    errors: dict[str, list] = {}
    if channel not in Channel.values:
        errors["channel"] = [f"Must be one of: {', '.join(Channel.values)}."]
    if method not in FulfilmentMethod.values:
        errors["fulfilment"] = [
            f"Must be one of: {', '.join(FulfilmentMethod.values)}."
        ]
    key = (kw["idempotency_key"] or "").strip()
    if len(key) > 100:
        errors["idempotency_key"] = ["At most 100 characters."]
    if not lines:
        errors["lines"] = ["The order has no items."]
    if errors:
        raise ValidationFailed("The order is not valid.", extra=errors)

    wanted: dict[int, int] = defaultdict(int)
    loaded: dict[int, Variant] = {}
    for item in lines:
        variant, quantity = (
            (item.variant, item.quantity) if isinstance(item, LineRequest) else item
        )
        pk = variant.pk if isinstance(variant, Variant) else int(variant)
        if isinstance(variant, Variant):
            loaded[pk] = variant
        wanted[pk] += _check_quantity(quantity, "lines")
    for quantity in wanted.values():
        _check_quantity(quantity, "lines")
    stale = [
        pk
        for pk in wanted
        if pk not in loaded or not loaded[pk].active or not loaded[pk].product.active
    ]
    if stale:
        loaded.update(_sellable_variants(stale))

    placing = _location(kw["placing_location"], "placing_location")
    pickup_store, pickup_stock = None, None
    address: dict = {}
    origin = None
    if method == FulfilmentMethod.PICKUP:
        pickup_store, pickup_stock = _pickup_shop(kw["pickup_store"], list(wanted))
        if pickup_store is None:
            errors["store"] = ["Choose the shop to collect from."]
        elif not (
            pickup_store.kind == LocationKind.SHOP
            and pickup_store.click_and_collect
            and pickup_store.active
        ):
            errors["store"] = ["This shop does not offer click and collect."]
        else:
            origin = (pickup_store.latitude, pickup_store.longitude)
    elif method == FulfilmentMethod.DELIVERY:
        address = _clean_address(kw["address"])
        if "latitude" in address and "longitude" in address:
            origin = (address["latitude"], address["longitude"])
        elif placing is not None:
            origin = (placing.latitude, placing.longitude)
    elif method == FulfilmentMethod.CARRY_OUT:
        if channel != Channel.STORE:
            errors["fulfilment"] = ["Carry-out sales happen in a shop."]
        elif placing is None or not placing.sells_in_store:
            errors["placing_location"] = ["Choose the shop that sells."]
    if channel in (Channel.STORE, Channel.PHONE) and placing is None:
        errors.setdefault("placing_location", ["Say where the order is taken."])
    user = kw["user"]
    signed_in = acting_user(user) is not None
    if (
        kw["customer"] is None
        and not signed_in
        and not (kw["email"] or kw["phone"] or kw["loyalty_number"])
        and method != FulfilmentMethod.CARRY_OUT
    ):
        errors["email"] = ["Give an email address or a phone number."]
    if errors:
        raise ValidationFailed("The order is not valid.", extra=errors)

    order_lines = [(loaded[pk], quantity) for pk, quantity in wanted.items()]
    subtotal = sum(
        (_money(variant.price) * quantity for variant, quantity in order_lines),
        Decimal("0.00"),
    )
    discount, discount_total, line_discounts = None, Decimal("0.00"), {}
    if normalize_discount_code(kw["discount_code"]):
        discount, discount_total, line_discounts = _price_discount(
            kw["discount_code"],
            lines=order_lines,
            subtotal=subtotal,
            channel=channel,
            customer=kw["customer"],
            identified=signed_in
            or bool(kw["email"] or kw["phone"] or kw["loyalty_number"]),
            now=kw["now"],
        )
    total = subtotal - discount_total
    payments = _check_payments(kw["payments"], total=total, channel=channel)

    if method == FulfilmentMethod.CARRY_OUT:
        legs = [_Leg(method, placing, None, dict(wanted))]
    else:
        legs = _plan_legs(
            method=method,
            wanted=dict(wanted),
            variants=loaded,
            pickup_store=pickup_store,
            pickup_stock=pickup_stock,
            origin=origin,
        )
    return _Checkout(
        channel=channel,
        method=method,
        lines=order_lines,
        legs=legs,
        subtotal=subtotal,
        discount_total=discount_total,
        total=total,
        payments=payments,
        pickup_store=pickup_store,
        placing_location=placing,
        address=address,
        customer=kw["customer"],
        user=user if signed_in else None,
        staff=acting_user(kw["staff"]),
        email=(kw["email"] or "").strip(),
        phone=(kw["phone"] or "").strip(),
        first_name=kw["first_name"] or "",
        last_name=kw["last_name"] or "",
        loyalty_number=(kw["loyalty_number"] or "").strip(),
        idempotency_key=key,
        discount_code=discount.code if discount is not None else "",
        cart=kw["cart"],
        now=kw["now"],
        discount=discount,
        line_discounts=line_discounts,
    )


def _resolve_customer(checkout: _Checkout) -> Customer | None:
    if checkout.customer is not None:
        return checkout.customer
    location = checkout.placing_location or checkout.pickup_store
    common = {
        "first_name": checkout.first_name,
        "last_name": checkout.last_name,
        "channel": checkout.channel,
        "location": checkout.placing_location,
        "actor": checkout.staff,
        "region": location.country if location is not None else None,
    }
    if checkout.user is not None:
        return storefront_customer(user=checkout.user, channel=checkout.channel)
    if checkout.email or checkout.phone or checkout.loyalty_number:
        return match_customer(
            email=checkout.email or None,
            phone=checkout.phone or None,
            loyalty_number=checkout.loyalty_number or None,
            **common,
        )
    return None


def _scope(checkout: _Checkout, customer: Customer | None) -> str:
    if customer is not None:
        return f"customer:{customer.pk}"
    if checkout.staff is not None:
        return f"staff:{checkout.staff.pk}"
    return "guest"


def _write_order(checkout: _Checkout, *, number: str) -> Order:
    now = checkout.now
    customer = _resolve_customer(checkout)
    # A guest's profile comes from match_customer, which locked the live row here.
    matched_here = checkout.customer is None and checkout.user is None
    checkout.scope = _scope(checkout, customer)
    methods = {leg.method for leg in checkout.legs}
    carry_out = checkout.method == FulfilmentMethod.CARRY_OUT
    order = Order(
        number=number,
        customer=customer,
        channel=checkout.channel,
        placing_location=checkout.placing_location,
        staff_member=checkout.staff,
        status=OrderStatus.COMPLETED if carry_out else OrderStatus.PLACED,
        fulfilment_method=methods.pop() if len(methods) == 1 else "mixed",
        currency=settings.OMNISTORE_CURRENCY,
        subtotal=checkout.subtotal,
        discount_total=checkout.discount_total,
        total=checkout.total,
        email=checkout.email or (customer.email if customer else ""),
        phone=checkout.phone or (customer.phone if customer else ""),
        idempotency_scope=checkout.scope if checkout.idempotency_key else "",
        idempotency_key=checkout.idempotency_key,
        discount_code=checkout.discount_code,
        attributed_campaign_id=checkout.discount.campaign_id
        if checkout.discount is not None
        else None,
        created_at=now,
        updated_at=now,
    )
    insert_rows([order])
    if checkout.cart is not None and not _close_cart(checkout.cart, order, now):
        raise Conflict("This cart was already checked out.", code="cart_closed")
    if checkout.discount is not None:
        _claim_discount(checkout, order, customer)

    variants = {variant.pk: variant for variant, _ in checkout.lines}
    fulfilments = []
    held: list[inventory.StockRequest] = []
    for leg in checkout.legs:
        transfer = None
        if leg.transfer:
            transfer = inventory.request_transfer(
                source=leg.location,
                destination=leg.pickup_location,
                lines=[(variants[v], q) for v, q in leg.quantities.items()],
                actor=checkout.staff,
                note=f"For order {number}",
                reference_type=ORDER_REFERENCE,
                reference_id=number,
            )
        elif not carry_out:
            held += [
                inventory.StockRequest(v, leg.location.pk, q)
                for v, q in leg.quantities.items()
            ]
        lead = TRANSFER_LEAD_DAYS if leg.transfer else 0
        fulfilments.append(
            Fulfilment(
                order=order,
                method=leg.method,
                status=FulfilmentStatus.COMPLETED
                if carry_out
                else FulfilmentStatus.PENDING,
                location=leg.location,
                pickup_location=leg.pickup_location,
                address=checkout.address,
                ready_date=(now + timedelta(days=lead)).date(),
                transfer=transfer,
                created_at=now,
            )
        )
    insert_rows(fulfilments)

    order_lines = []
    for leg, fulfilment in zip(checkout.legs, fulfilments, strict=True):
        for variant_id, quantity in leg.quantities.items():
            variant = variants[variant_id]
            price = _money(variant.price)
            discount = checkout.line_discounts.get(variant_id, Decimal("0.00"))
            order_lines.append(
                OrderLine(
                    order=order,
                    fulfilment=fulfilment,
                    variant=variant,
                    sku=variant.sku,
                    name=variant.name[:250],
                    quantity=quantity,
                    unit_price=price,
                    discount=discount,
                    line_total=price * quantity - discount,
                )
            )
    insert_rows(order_lines)

    if carry_out:
        inventory.sell_stock(
            requests=[
                inventory.StockRequest(v, checkout.placing_location.pk, q)
                for v, q in checkout.legs[0].quantities.items()
            ],
            reference_type=ORDER_REFERENCE,
            reference_id=number,
            actor=checkout.staff,
        )
    elif held:
        inventory.reserve_stock(
            requests=held,
            reference_type=ORDER_REFERENCE,
            reference_id=number,
            actor=checkout.staff,
        )

    payment_rows = []
    for index, request in enumerate(checkout.payments):
        key = (
            f"{checkout.scope}:{checkout.idempotency_key}:{index}"
            if checkout.idempotency_key
            else f"{number}:{index}"
        )
        if request.method == PaymentMethod.STORE_CREDIT:
            result = spend_store_credit(
                customer=customer,
                order=order,
                amount=request.amount,
                reference=key,
                actor=checkout.staff,
            )
        else:
            provider = get_provider()
            result = provider.charge(
                method=request.method,
                amount=request.amount,
                currency=order.currency,
                token=request.token,
                idempotency_key=key,
            )
        payment_rows.append(
            Payment(
                order=order,
                method=request.method,
                amount=request.amount,
                currency=order.currency,
                provider=result.provider,
                provider_reference=result.reference,
                status=result.status,
                created_at=now,
            )
        )
    insert_rows(payment_rows)
    history = [
        OrderStatusChange(
            order=order,
            to_status=order.status,
            actor=checkout.staff,
            location=checkout.placing_location,
            at=now,
            note=f"Placed via {Channel(order.channel).label}",
        )
    ]
    insert_rows(history)

    if customer is not None:
        where = checkout.placing_location or checkout.pickup_store
        record_event(
            customer=customer,
            kind=EVENT_ORDER_PLACED,
            summary=(
                f"Order {number} placed ({Channel(order.channel).label}"
                f"{' · ' + where.name if where else ''}): "
                f"{order.total} {order.currency}"
            ),
            actor=checkout.staff,
            location=where,
            channel=order.channel,
            data={
                "number": number,
                "total": str(order.total),
                "fulfilment": order.fulfilment_method,
                "lines": len(order_lines),
            },
            reference_type=ORDER_REFERENCE,
            reference_id=number,
            occurred_at=now,
            locked=matched_here,
        )
    outbox.enqueue(
        "orders.placed", {"order_id": order.pk}, dedupe_key=f"orders.placed:{order.pk}"
    )
    _order_webhook(order, "placed")
    _cache(order, "lines", order_lines)
    _cache(order, "fulfilments", fulfilments)
    _cache(order, "payments", payment_rows)
    _cache(order, "history", history)
    for payment in payment_rows:
        _cache(payment, "refunds", [])
    order.idempotent_replay = False
    return order
