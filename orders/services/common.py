"""Helpers every order service shares: money to the cent, quantities, the order's
lock, its timeline event, email and webhook.

An order row is locked (``SELECT ... FOR NO KEY UPDATE``) before its status changes;
lock order is (at a counter, its till session →) order → customer → stock rows, the
same in every service of this package (``counter_locks``).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import TypeVar

from customers.models import Customer
from customers.services.timeline import record_event
from inventory.models import Location, Product, Variant
from omnistore.core import webhooks
from omnistore.core.actors import acting_user
from omnistore.core.channels import Channel
from omnistore.core.db import load
from omnistore.core.exceptions import Conflict, NotFound, ValidationFailed
from orders.emails import enqueue_order_email
from orders.models import (
    Order,
    OrderStatusChange,
    Payment,
    PaymentMethod,
    PaymentStatus,
    Return,
)

MAX_LINE_QUANTITY = 99
MAX_IDEMPOTENCY_KEY = 100

# What an ``Idempotency-Key`` can have made.
Keyed = TypeVar("Keyed", Order, Return)


ORDER_REFERENCE = "order"
# The purchase on the customer's timeline: what the client book, its follow-up tasks
# and the customer's own timeline read (``customers.clienteling.PURCHASE_EVENT``).
EVENT_ORDER_PLACED = "order_placed"


# Letters and digits that cannot be misread on a receipt or over the phone.
NUMBER_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


CODE_ALPHABET = "ACDEFHJKMNPRTUVWXY34679"
# A pickup code is the key to goods paid for: 23**8 (about 8e10) codes, and the desk
# locks an order after a few wrong ones, so guessing is hopeless.
PICKUP_CODE_LENGTH = 8


def new_order_number() -> str:
    """A new order's number: "OS-" and ten characters of ``NUMBER_ALPHABET``."""
    chars = "".join(secrets.choice(NUMBER_ALPHABET) for _ in range(10))
    return f"OS-{chars[:5]}-{chars[5:]}"


def request_fingerprint(*parts) -> str:
    """A digest of what a keyed request asks for (plain values: text, numbers, lists,
    dicts), the same for the same request whatever order its dicts came in."""

    def plain(value):
        if isinstance(value, dict):
            return sorted((str(k), plain(v)) for k, v in value.items())
        if isinstance(value, list | tuple):
            return [plain(v) for v in value]
        return str(value)

    return hashlib.sha256(repr(plain(parts)).encode()).hexdigest()


def tenders_fingerprint(payments) -> list[tuple]:
    """The tenders of a keyed checkout as sent (method, token, amount, card, points),
    the part of its fingerprint every kind of checkout shares."""
    return [
        (p.method, p.token, p.amount or "", p.card_number, p.points) for p in payments
    ]


def checkout_fingerprint(checkout, payments, gift_cards) -> str:
    """What a keyed checkout asks for: the lines, where they go, who buys, the code
    and the tenders as sent (not the prices or amounts worked out from them)."""
    return request_fingerprint(
        sorted((variant.pk, quantity) for variant, quantity in checkout.lines),
        checkout.channel,
        checkout.method,
        getattr(checkout.pickup_store, "pk", None),
        checkout.address or {},
        [checkout.email, checkout.phone, checkout.loyalty_number],
        [checkout.first_name, checkout.last_name, checkout.discount_code],
        tenders_fingerprint(payments),
        [(card.number, card.amount) for card in gift_cards],
    )


def replay(existing: Keyed, fingerprint: str, *, what: str = "purchase") -> Keyed:
    """The order (or return) an ``Idempotency-Key`` already made, when the request
    is the same; the key sent again with another request is refused (409), as is
    any request for one whose personal data was erased (its fingerprint with it).
    ``what`` names the request a new key goes with."""
    if not fingerprint or existing.idempotency_fingerprint != fingerprint:
        raise key_reused(what)
    existing.idempotent_replay = True
    return existing


def key_reused(what: str = "purchase") -> Conflict:
    """The refusal of an ``Idempotency-Key`` sent again with another request."""
    return Conflict(
        "This Idempotency-Key was already used for another request: send a new "
        f"key with a new {what}.",
        code="idempotency_key_reused",
        extra={"idempotency_key": ["Already used for another request."]},
    )


def clean_idempotency_key(value) -> str:
    """The ``Idempotency-Key`` as sent, trimmed; one longer than the column that
    keeps it is refused."""
    key = (value or "").strip()
    if len(key) > MAX_IDEMPOTENCY_KEY:
        raise ValidationFailed(
            "The Idempotency-Key is too long.",
            extra={"idempotency_key": [f"At most {MAX_IDEMPOTENCY_KEY} characters."]},
        )
    return key


def check_quantity(quantity, field: str = "quantity") -> int:
    if (
        not isinstance(quantity, int)
        or isinstance(quantity, bool)
        or not 0 < quantity <= MAX_LINE_QUANTITY
    ):
        raise ValidationFailed(
            f"Quantity must be between 1 and {MAX_LINE_QUANTITY}.",
            extra={field: [f"Must be a whole number from 1 to {MAX_LINE_QUANTITY}."]},
        )
    return quantity


def load_variants(
    variant_ids: Iterable[int], *, on_sale_only: bool = False
) -> dict[int, Variant]:
    """Variants by id with their product, in one query; ``on_sale_only``: active
    variants of active products only. Unknown ids are left out."""
    ids = set(variant_ids)
    if not ids:
        return {}
    sold = " AND v.active AND p.active" if on_sale_only else ""
    found = {}
    for variant, product in load(
        [(Variant, "v"), (Product, "p")],
        "FROM inventory_variant v JOIN inventory_product p ON p.id = v.product_id"
        f" WHERE v.id IN ({', '.join(['%s'] * len(ids))}){sold}",
        list(ids),
    ):
        variant.product = product
        found[variant.pk] = variant
    return found


def sellable_variants(variant_ids: Iterable[int]) -> dict[int, Variant]:
    """Active variants of active products by id; unknown or retired ones are refused."""
    ids = set(variant_ids)
    found = load_variants(ids, on_sale_only=True)
    missing = sorted(ids - found.keys())
    if missing:
        raise ValidationFailed(
            "Some items are not for sale.",
            extra={"variant": [f"Item {pk} is not for sale." for pk in missing]},
        )
    return found


def to_money(value) -> Decimal:
    return Decimal(value).quantize(Decimal("0.01"))


def cache_related(instance, name: str, objects: list) -> None:
    """Keep rows just written as the instance's prefetched relation: the response is
    rendered from memory instead of reading back what this transaction wrote."""
    queryset = getattr(instance, name).all()
    queryset._result_cache = list(objects)
    queryset._prefetch_done = True
    if not hasattr(instance, "_prefetched_objects_cache"):
        instance._prefetched_objects_cache = {}
    instance._prefetched_objects_cache[name] = queryset


def lock_order(order: Order | int) -> Order:
    pk = order.pk if isinstance(order, Order) else order
    try:
        return Order.objects.select_for_update(no_key=True).get(pk=pk)
    except (Order.DoesNotExist, TypeError, ValueError):
        raise NotFound("Order not found.") from None


def note_in_history(
    order: Order,
    note: str,
    *,
    at: datetime,
    actor=None,
    location: Location | None = None,
) -> OrderStatusChange:
    """A line in the order's history while its status stays as it is (a part moved
    on, a refund made elsewhere, a hold found lapsed, a pickup locked): who, where,
    when and why all the same."""
    return OrderStatusChange.objects.create(
        order=order,
        from_status=order.status,
        to_status=order.status,
        actor=acting_user(actor),
        location=location,
        at=at,
        note=note[:250],
    )


def order_webhook(order: Order, event: str, *, previous: str = "") -> None:
    """Subscribers hear of every new order and every status change (signed webhooks)."""
    webhooks.emit(
        f"order.{event}",
        {
            "number": order.number,
            "customer_id": order.customer_id,
            "channel": order.channel,
            "fulfilment": order.fulfilment_method,
            "status": order.status,
            "previous_status": previous,
            "total": str(order.total),
            "currency": order.currency,
        },
    )


def record_order_event(
    order: Order, kind: str, summary: str, *, actor, location, now, data=None
) -> None:
    """A step of the order on its customer's timeline (none for a walk-in), with
    its number and status and what else the step keeps (``data``)."""
    if order.customer_id is None:
        return
    record_event(
        customer=Customer(pk=order.customer_id),
        kind=kind,
        summary=summary,
        actor=actor,
        location=location,
        channel=order.channel,
        data={"number": order.number, "status": order.status, **(data or {})},
        reference_type=ORDER_REFERENCE,
        reference_id=order.number,
        occurred_at=now,
    )


def record_order_placed(
    order: Order,
    customer: Customer,
    *,
    payments: Iterable[Payment],
    lines: int,
    location: Location | None,
    actor,
    now: datetime,
    locked: bool = False,
) -> None:
    """Every order placed, whatever sold it (a checkout, an e-gift card bought
    online), on its customer's timeline with where and how it was paid (``locked``:
    the profile row is already locked by this transaction)."""
    payments = list(payments)
    record_event(
        customer=customer,
        kind=EVENT_ORDER_PLACED,
        summary=(
            f"Order {order.number} placed ({Channel(order.channel).label}"
            f"{' · ' + location.name if location else ''}): "
            f"{order.total} {order.currency}"
            + "".join(
                f"; {PaymentMethod(p.method).label} {p.amount} "
                f"{PaymentStatus(p.status).label.lower()}"
                for p in payments
            )
        ),
        actor=actor,
        location=location,
        channel=order.channel,
        data={
            "number": order.number,
            "total": str(order.total),
            "fulfilment": order.fulfilment_method,
            "lines": lines,
            "payments": [
                {"method": p.method, "amount": str(p.amount), "status": p.status}
                for p in payments
            ],
        },
        reference_type=ORDER_REFERENCE,
        reference_id=order.number,
        occurred_at=now,
        locked=locked,
    )


def send_order_email(order: Order, kind: str, *, dedupe: str = "") -> None:
    enqueue_order_email(order=order, kind=kind, dedupe=dedupe)
