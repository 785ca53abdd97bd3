"""Reads of orders: a customer's history, an order's page, the staff lists. Lists cost
a fixed number of queries whatever their length."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.db.models import (
    DecimalField,
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce

from customers.models import Customer
from customers.selectors.timeline import customer_wording
from inventory.models import LocationKind, TransferStatus
from omnistore.approvals.models import Approval
from omnistore.core.exceptions import NotFound
from orders.models import (
    Cart,
    Fulfilment,
    FulfilmentMethod,
    FulfilmentStatus,
    Order,
    OrderLine,
    OrderStatus,
    OrderStatusChange,
    Payment,
    PaymentMethod,
    RefundMethod,
    StoreCreditKind,
    StoreCreditTransaction,
)
from orders.selectors.payments import hold_lapsed_of_row
from orders.selectors.refunds_given import refunds_with_returns

ZERO = Decimal("0.00")
MONEY = DecimalField(max_digits=12, decimal_places=2)

# The shops an order belongs to: the one that took it, the ones that ship it or hand it
# over. Managers see these orders (admin) and the reports count them.
ORDER_SHOP_PATHS = (
    "placing_location",
    "fulfilments__location",
    "fulfilments__pickup_location",
)


# What a status history note adds when a manager approved the move, naming them
# (``orders.services.approvals``); and what those approvals are asked about.
APPROVED_BY = " · approved by "


def approval_subject(order: Order, destination: str = "") -> str:
    """What a manager's approval about ``order`` is for; a refund names where the
    money goes (``destination``: a refund method, or ``cancel``)."""
    base = f"order:{order.number}"
    return f"{base}:{destination}" if destination else base


def approval_subjects(order: Order) -> set[str]:
    """Every subject an approval about ``order`` can have."""
    destinations = [*RefundMethod.values, "cancel"]
    return {
        approval_subject(order),
        *(approval_subject(order, d) for d in destinations),
    }


def history_for_the_customer(
    orders: Iterable[Order],
) -> dict[int, list[OrderStatusChange]]:
    """The status history of ``orders`` (prefetched) as their customer reads it, by
    order id: each change gets ``customer_note``, its note with the managers who
    approved a move named by first name and initial, as the customer's timeline names
    staff (``for_the_customer``). Notes are stored as staff read them, full names
    kept, and staff pages show those. One query, only when a note names an
    approval."""
    orders = list(orders)
    history = {order.pk: list(order.history.all()) for order in orders}
    notes_for_the_customer(
        [change for rows in history.values() for change in rows], orders
    )
    return history


def notes_for_the_customer(changes, orders: Iterable[Order]) -> None:
    """Gives each status change (of ``orders`` or of their returns) its
    ``customer_note``: the note with the approving managers named as the customer
    reads staff (a delivery fee waived on the order's basket and a price set on
    one of its lines among them). One query, only when a note names an approval."""
    approvers = []
    orders = list(orders)
    if any(APPROVED_BY in change.note for change in changes):
        pks = [o.pk for o in orders]
        approvers = [
            approval.decided_by
            for approval in Approval.objects.filter(
                Q(subject__in=set().union(*(approval_subjects(o) for o in orders)))
                | Q(delivery_fee_waiver__order__in=pks)
                | Q(priced_order_lines__order__in=pks),
                decided_by__isnull=False,
            ).select_related("decided_by")
        ]
    rewrite = customer_wording(approvers)
    for change in changes:
        change.customer_note = rewrite(change.note)


def order_lines_prefetch():
    return Prefetch("lines", queryset=OrderLine.objects.order_by("id"))


def customer_orders(customer: Customer) -> QuerySet[Order]:
    """Every order of a customer from every channel (shop sales included), newest first,
    lines prefetched: two queries for any page."""
    return (
        Order.objects.filter(customer=customer)
        .select_related("placing_location")
        .prefetch_related(order_lines_prefetch())
        .order_by("-created_at", "-id")
    )


def cancelled_part_ids(order: Order) -> set[int]:
    """The order's parts whose lines are ``cancelled_part_lines`` (sold, then
    cancelled before they left and refunded while the order went ahead), read from
    its parts as loaded: the receipt, the order page and the API mark those lines
    cancelled. None for a cancelled order, cancelled whole."""
    if order.status == OrderStatus.CANCELLED:
        return set()
    return {part.pk for part in order.fulfilments.all() if part.cancelled_at}


def order_detail_queryset() -> QuerySet[Order]:
    """An order with everything its page shows, in a fixed six queries (a delivery
    fee its shop waived, who waived it and who approved, in the first)."""
    return Order.objects.select_related(
        "customer",
        "placing_location",
        "staff_member",
        "legal_entity",
        "delivery_fee_waiver__waived_by",
        "delivery_fee_waiver__approval__decided_by",
    ).prefetch_related(
        Prefetch(
            "lines", queryset=OrderLine.objects.select_related("variant__product")
        ),
        Prefetch(
            "fulfilments",
            queryset=Fulfilment.objects.select_related(
                "location", "pickup_location", "transfer"
            ),
        ),
        Prefetch(
            "payments",
            queryset=Payment.objects.prefetch_related(
                Prefetch("refunds", queryset=refunds_with_returns())
            ),
        ),
        Prefetch(
            "history",
            queryset=OrderStatusChange.objects.select_related("actor", "location"),
        ),
    )


def order_detail(*, number: str, customer: Customer | None = None) -> Order:
    """One order by number; with ``customer``, only theirs (others' look unknown)."""
    orders = order_detail_queryset().filter(number=(number or "").strip().upper())
    if customer is not None:
        orders = orders.filter(customer=customer)
    order = orders.first()
    if order is None:
        raise NotFound("Order not found.")
    return order


NUMBER_PART_MIN = 5  # characters of a number worth matching as a part
NUMBER_PART_SHOWN = 20


def orders_numbered_like(part: str) -> list[Order]:
    """The newest orders whose number holds ``part`` (what is read off a receipt or
    said on the phone: "WAZ89", "x9krb-waz89"), for staff to pick from; nothing for
    fewer than ``NUMBER_PART_MIN`` characters."""
    part = "".join((part or "").split()).upper()
    if len(part) < NUMBER_PART_MIN:
        return []
    return list(
        Order.objects.filter(number__contains=part)
        .select_related("customer", "placing_location")
        .order_by("-created_at", "-id")[:NUMBER_PART_SHOWN]
    )


def order_by_id(pk: int) -> Order:
    order = order_detail_queryset().filter(pk=pk).first()
    if order is None:
        raise NotFound("Order not found.")
    return order


def orders_for_email(pks: list[int], *, refunds: bool = False) -> list[Order]:
    """Orders with what their emails show: customer, placing shop, seller, lines,
    VAT per rate, payments (with their refunds when asked) and fulfilments with the
    pickup shop — five or six light queries however many orders, as every order gets
    a receipt. In the order of
    ``pks``; one unknown id makes it NotFound."""
    payments = Payment.objects.all()
    if refunds:
        payments = payments.prefetch_related(
            Prefetch("refunds", queryset=refunds_with_returns())
        )
    try:
        ids = [int(pk) for pk in pks]
    except (TypeError, ValueError):
        raise NotFound("Order not found.") from None
    found = {
        order.pk: order
        for order in Order.objects.select_related(
            "customer", "placing_location", "staff_member", "legal_entity"
        )
        .prefetch_related(
            "lines",
            "tax_totals",
            Prefetch("payments", queryset=payments),
            Prefetch(
                "fulfilments",
                queryset=Fulfilment.objects.select_related("pickup_location"),
            ),
        )
        .filter(pk__in=set(ids))
    }
    if any(pk not in found for pk in ids):
        raise NotFound("Order not found.")
    return [found[pk] for pk in ids]


def with_fulfilments(qs: QuerySet[Order]) -> QuerySet[Order]:
    return (
        qs.select_related("customer")
        .prefetch_related(
            Prefetch(
                "lines",
                queryset=OrderLine.objects.select_related("fulfilment").order_by("id"),
            ),
            Prefetch(
                "fulfilments",
                queryset=Fulfilment.objects.select_related(
                    "location", "pickup_location", "transfer"
                ),
            ),
        )
        .distinct()
    )


def orders_to_pick(*, location) -> QuerySet[Order]:
    """Orders whose goods this shop still takes off its shelves: lines sourced here,
    and pickups here whose transfer has arrived; an order still waiting for a transfer
    is not listed yet (it cannot be picked whole). An order split over several shops
    is listed at each until that shop's own part is picked. Oldest first."""
    pending = FulfilmentStatus.PENDING
    here = Q(
        fulfilments__location=location,
        fulfilments__transfer__isnull=True,
        fulfilments__status=pending,
    ) | Q(
        fulfilments__pickup_location=location,
        fulfilments__transfer__status=TransferStatus.RECEIVED,
        fulfilments__status=pending,
    )
    picking = [OrderStatus.PLACED, OrderStatus.PICKED]
    return (
        with_fulfilments(Order.objects.filter(here, status__in=picking))
        .exclude(Exists(_transfers_on_the_way()))
        .order_by("created_at", "id")
    )


# A warehouse's part of a delivery waits in these: to be picked, then shipped.
WAREHOUSE_STEPS = (FulfilmentStatus.PENDING, FulfilmentStatus.PICKED)


def orders_at_warehouses(*, location_ids=None) -> QuerySet[Order]:
    """Orders with a delivery part a warehouse still picks or ships (at the
    warehouses ``location_ids``; None: every one), oldest first. Warehouses have no
    staff of their own: HQ, and staff given a warehouse, work these from their
    picking list. Lines in SKU order with their variant (the barcode to scan) and
    parts with their locations: three queries. ``hold_lapsed`` marks an order whose
    card hold lapsed, which is cancelled rather than shipped."""
    part = Q(
        fulfilments__status__in=WAREHOUSE_STEPS,
        fulfilments__location__kind=LocationKind.WAREHOUSE,
        fulfilments__method=FulfilmentMethod.DELIVERY,
        fulfilments__transfer__isnull=True,
    )
    if location_ids is not None:
        part &= Q(fulfilments__location__in=location_ids)
    picking = [OrderStatus.PLACED, OrderStatus.PICKED]
    return (
        Order.objects.filter(part, status__in=picking)
        .annotate(hold_lapsed=hold_lapsed_of_row())
        .select_related("customer")
        .prefetch_related(
            Prefetch(
                "lines",
                queryset=OrderLine.objects.select_related(
                    "fulfilment", "variant"
                ).order_by("sku", "id"),
            ),
            Prefetch(
                "fulfilments",
                queryset=Fulfilment.objects.select_related(
                    "location", "pickup_location", "transfer"
                ).order_by("id"),
            ),
        )
        .distinct()
        .order_by("created_at", "id")
    )


def warehouse_parts(order: Order, *, location_ids=None) -> list[dict]:
    """The parts of ``order`` (from ``orders_at_warehouses``, as it filters them)
    waiting at those warehouses: each its ``location``, its ``step`` (``pick`` or
    ``ship``) and the ``shelf_lines`` on its shelves. No query."""
    return [
        {
            "location": f.location,
            "step": "pick" if f.status == FulfilmentStatus.PENDING else "ship",
            "shelf_lines": [
                line for line in order.lines.all() if line.fulfilment_id == f.pk
            ],
        }
        for f in order.fulfilments.all()
        if f.status in WAREHOUSE_STEPS
        and f.location.kind == LocationKind.WAREHOUSE
        and f.method == FulfilmentMethod.DELIVERY
        and f.transfer_id is None
        and (location_ids is None or f.location_id in location_ids)
    ]


def _transfers_on_the_way():
    return Fulfilment.objects.filter(
        order=OuterRef("pk"), transfer__isnull=False
    ).exclude(transfer__status=TransferStatus.RECEIVED)


def orders_awaiting_transfer(*, location) -> QuerySet[Order]:
    """Placed pickups at this shop waiting for goods on their way from elsewhere."""
    return with_fulfilments(
        Order.objects.filter(
            Exists(_transfers_on_the_way()),
            status=OrderStatus.PLACED,
            fulfilments__pickup_location=location,
        )
    ).order_by("created_at", "id")


def replayed_order(
    *, idempotency_key: str, cart: Cart | None = None, customer: Customer | None = None
) -> Order | None:
    """The order an earlier checkout with this key made: from the cart it converted, or
    among the customer's orders. None when the key is new."""
    if not idempotency_key:
        return None
    orders = order_detail_queryset().filter(idempotency_key=idempotency_key)
    if cart is not None and cart.order_id:
        found = orders.filter(pk=cart.order_id).first()
        if found is not None:
            return found
    if customer is not None:
        return orders.filter(idempotency_scope=f"customer:{customer.pk}").first()
    return None


def payments_taken(pairs: list[tuple[str, str]]) -> bool:
    """Whether any of these provider payments (provider, reference) already pays an
    order: a payment intent pays one order only."""
    if not pairs:
        return False
    match = Q()
    for provider, reference in pairs:
        match |= Q(provider=provider, provider_reference=reference)
    return Payment.objects.filter(match).exists()


def refunded_so_far(order: Order) -> Decimal:
    """What has left the shop for ``order`` until now: the refunds of its payments,
    every tender, and the store credit its returns gave instead, an exchange's only
    as far as its replacement did not spend it (``refunded_by_order``). The refund
    limit judges this plus the refund asked, so a refund in parts asks as the whole
    would."""
    return refunded_by_order([order.pk]).get(order.pk, ZERO)


def given_back_so_far(order: Order) -> Decimal:
    """All ``order`` has given back for what came back (``given_back_by_order``):
    its order page counts it as refunded, beside how each return was paid back."""
    return given_back_by_order([order.pk]).get(order.pk, ZERO)


def refunded_by_order(order_ids) -> dict[int, Decimal]:
    """``refunded_so_far`` of many orders in two queries (the orders that gave
    nothing back are left out). An exchange's return (``Return.exchange_order``)
    counts only what it left: its store credit less what its replacement paid in
    store credit and kept (a replacement cancelled gave that credit back), never
    below nothing. An even swap gave nothing back."""
    spent = (
        Payment.objects.filter(
            order_id=OuterRef("return_request__exchange_order_id"),
            method=PaymentMethod.STORE_CREDIT,
        )
        .order_by()
        .values("order_id")
        .annotate(total=Sum(F("amount") - F("refunded_amount")))
        .values("total")
    )
    credits = (
        StoreCreditTransaction.objects.filter(
            order_id__in=order_ids, kind=StoreCreditKind.RETURN
        )
        .annotate(spent=Subquery(spent, output_field=MONEY))
        .values_list("order_id", "return_request_id", "amount", "spent")
    )
    by_return: dict[tuple[int, int | None], list[Decimal]] = {}
    for order_id, return_id, amount, spent_there in credits:
        row = by_return.setdefault((order_id, return_id), [ZERO, spent_there or ZERO])
        row[0] += amount
    credited = [
        {"order_id": order_id, "total": max(credit - spent_there, ZERO)}
        for (order_id, _), (credit, spent_there) in by_return.items()
    ]
    return _sum_by_order([*_paid_back(order_ids), *credited])


def given_back_by_order(order_ids) -> dict[int, Decimal]:
    """What each order gave back for its goods returned, in two queries: the
    refunds of its payments and the store credit its returns gave, an exchange's
    whole though its replacement spent it (the orders that gave nothing back are
    left out). The replacement is an order of its own whose sale counts, so netting
    each order's sales of this counts the exchanged goods once, as the
    replacement's; what left the shop is ``refunded_by_order``."""
    credited = (
        StoreCreditTransaction.objects.filter(
            order_id__in=order_ids, kind=StoreCreditKind.RETURN
        )
        .order_by()
        .values("order_id")
        .annotate(total=Sum("amount"))
    )
    return _sum_by_order([*_paid_back(order_ids), *credited])


def given_back_of_row() -> Coalesce:
    """``given_back_by_order`` as an expression of each order row (for a list
    that streams): its payments' refunds plus the store credit its returns gave."""
    money = DecimalField(max_digits=12, decimal_places=2)
    zero = Value(ZERO)
    paid_back = (
        Payment.objects.filter(order=OuterRef("pk"))
        .order_by()
        .values("order")
        .annotate(total=Sum("refunded_amount"))
        .values("total")
    )
    credited = (
        StoreCreditTransaction.objects.filter(
            order=OuterRef("pk"), kind=StoreCreditKind.RETURN
        )
        .order_by()
        .values("order")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return Coalesce(Subquery(paid_back, output_field=money), zero) + Coalesce(
        Subquery(credited, output_field=money), zero
    )


def _paid_back(order_ids):
    """What the orders' payments gave back, by order: one query."""
    return (
        Payment.objects.filter(order_id__in=order_ids, refunded_amount__gt=0)
        .order_by()
        .values("order_id")
        .annotate(total=Sum("refunded_amount"))
    )


def _sum_by_order(rows: Iterable[dict]) -> dict[int, Decimal]:
    given: dict[int, Decimal] = {}
    for row in rows:
        total = Decimal(row["total"]).quantize(Decimal("0.01"))
        given[row["order_id"]] = given.get(row["order_id"], ZERO) + total
    return {pk: total for pk, total in given.items() if total}
