"""Reads of returns: the desk search, the lists (a fixed number of queries whatever
their length) and what is left to return on an order."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db.models import (
    DecimalField,
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Sum,
    Value,
    prefetch_related_objects,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from customers.models import Customer, LoyaltyTransaction
from customers.selectors.profiles import search_customers
from inventory.models import Location, LocationKind
from omnistore.core.dates import end_of_day_after
from omnistore.core.exceptions import NotFound
from orders.models import (
    RETURN_REFERENCE,
    FulfilmentStatus,
    Order,
    OrderLine,
    OrderStatus,
    Return,
    ReturnLine,
    ReturnStatus,
    ReturnStatusChange,
    StoreCreditTransaction,
    TillMovement,
)
from orders.pricing import share_of
from orders.selectors.giftcards import gift_cards_sold
from orders.selectors.orders import given_back_so_far, order_lines_prefetch
from orders.selectors.pickups import parse_pickup_qr
from orders.selectors.refunds_given import Tender, refunds_made, return_refunds

RETURN_QR_PREFIX = "OMNISTORE-RETURN"


RETURNABLE_ORDER_STATUSES = frozenset(
    {
        OrderStatus.COLLECTED,
        OrderStatus.SHIPPED,
        OrderStatus.DELIVERED,
        OrderStatus.COMPLETED,
    }
)


# Returns still owed something by the shop that holds them.
OPEN_RETURN_STATUSES = (ReturnStatus.REQUESTED, ReturnStatus.RECEIVED)
# Returns whose items are still with the customer: started, not received yet. Their
# units are on a return (none left to start one for), yet nothing has come back.
AWAITED_RETURN_STATUSES = (ReturnStatus.REQUESTED,)


DESK_RESULTS = 20


def handed_over_at(order: Order) -> datetime | None:
    """When the customer got the goods: collection, delivery, shipment (when delivery
    was never confirmed) or, for a shop sale, the sale itself."""
    if order.collected_at:
        return order.collected_at
    if order.delivered_at:
        return order.delivered_at
    if order.shipped_at:
        return order.shipped_at
    if order.status == OrderStatus.COMPLETED:
        return order.created_at
    return None


def return_deadline(order: Order) -> datetime | None:
    """Last moment of the return window: the end of the local day
    ``OMNISTORE_RETURN_WINDOW_DAYS`` after the handover, so the day the desk and the
    refusal name is good all of it; None while nothing has been handed over."""
    since = handed_over_at(order)
    if since is None:
        return None
    return end_of_day_after(since, settings.OMNISTORE_RETURN_WINDOW_DAYS)


def return_brought_by(ret: Return) -> datetime | None:
    """Until when a return started online is received as it was accepted: the end of
    its order's window or of the local day ``OMNISTORE_RETURN_BRING_DAYS`` after it
    was started, whichever is later. Received later, it is a return outside the
    window."""
    deadline = return_deadline(ret.order)
    if deadline is None:
        return None
    return max(
        deadline, end_of_day_after(ret.created_at, settings.OMNISTORE_RETURN_BRING_DAYS)
    )


def brought_late(ret: Return, now: datetime | None = None) -> bool:
    """Received now, a return started online would be past ``return_brought_by``."""
    due = return_brought_by(ret)
    return due is not None and (now or timezone.now()) > due


# A line of a part cancelled before it left (a split delivery's other parcels) never
# reached the customer: none of it comes back, it counts as all returned.
NEVER_LEFT = FulfilmentStatus.CANCELLED


def _returned_filter():
    return ~Q(return_lines__return_request__status=ReturnStatus.CANCELLED)


def left_to_return() -> Exists:
    """An order with something left to take back: a line that left (not of a part
    cancelled before it did) with units not on returns that are not cancelled, as
    ``returnable_lines`` counts them. An order of gift cards alone has no line, so
    nothing to return. An expression, for a list that filters on it in its own
    query."""
    return Exists(
        OrderLine.objects.filter(order=OuterRef("pk"))
        .exclude(fulfilment__status=NEVER_LEFT)
        .annotate(
            returned=Coalesce(
                Sum("return_lines__quantity", filter=_returned_filter()), Value(0)
            )
        )
        .filter(quantity__gt=F("returned"))
    )


def returnable_lines(order: Order) -> list[OrderLine]:
    """The order's lines, each with ``returned`` (units on returns not cancelled) and
    ``returnable`` (bought minus returned): one query."""
    lines = list(
        OrderLine.objects.filter(order=order)
        .select_related("variant__product", "fulfilment")
        .annotate(
            returned=Coalesce(
                Sum("return_lines__quantity", filter=_returned_filter()), Value(0)
            )
        )
        .order_by("id")
    )
    for line in lines:
        if line.fulfilment is not None and line.fulfilment.status == NEVER_LEFT:
            line.returned = line.quantity
        line.returnable = max(line.quantity - line.returned, 0)
    return lines


def returned_quantities(order_line_ids) -> dict[int, int]:
    """Units per order line already on returns that are not cancelled."""
    rows = (
        ReturnLine.objects.filter(order_line_id__in=list(order_line_ids))
        .exclude(return_request__status=ReturnStatus.CANCELLED)
        .values("order_line_id")
        .annotate(units=Sum("quantity"))
        .order_by()
    )
    returned = {row["order_line_id"]: row["units"] for row in rows}
    never_left = OrderLine.objects.filter(
        pk__in=list(order_line_ids), fulfilment__status=NEVER_LEFT
    ).values_list("pk", "quantity")
    returned.update(never_left)
    return returned


def return_qr_payload(return_request: Return) -> str:
    """What the return QR encodes: scanning it at any desk opens the return."""
    return f"{RETURN_QR_PREFIX}:{return_request.code}"


def parse_return_code(text: str) -> str | None:
    """A return code from a scanned QR or as typed (``r-abc123``, ``RABC123``)."""
    value = (text or "").strip().upper()
    if value.startswith(f"{RETURN_QR_PREFIX}:"):
        value = value[len(RETURN_QR_PREFIX) + 1 :]
    value = value.replace(" ", "")
    if value.startswith("R-"):
        value = value[2:]
    elif value.startswith("R") and len(value) == 7:
        value = value[1:]
    else:
        return None
    if len(value) != 6 or not value.isalnum():
        return None
    return f"R-{value}"


def _return_lines_prefetch():
    return Prefetch(
        "lines",
        queryset=ReturnLine.objects.select_related(
            "order_line__variant__product"
        ).order_by("id"),
    )


def return_detail_queryset() -> QuerySet[Return]:
    """A return with everything its page, API shape and email show: five queries."""
    return Return.objects.select_related(
        "order",
        "customer",
        "receiving_location",
        "created_by",
        "exchange_order",
    ).prefetch_related(
        _return_lines_prefetch(),
        Prefetch(
            "history",
            queryset=ReturnStatusChange.objects.select_related("actor", "location"),
        ),
        Prefetch("refunds", queryset=refunds_made()),
        Prefetch(
            "store_credit", queryset=StoreCreditTransaction.objects.order_by("id")
        ),
    )


def return_detail(*, code: str, customer: Customer | None = None) -> Return:
    """One return by its code (or a scanned QR); with ``customer``, only theirs."""
    value = parse_return_code(code)
    found = None
    if value is not None:
        returns = return_detail_queryset().filter(code=value)
        if customer is not None:
            returns = returns.filter(customer=customer)
        found = returns.first()
    if found is None:
        raise NotFound("Return not found.")
    return found


def return_by_id(pk: int) -> Return:
    found = return_detail_queryset().filter(pk=pk).first()
    if found is None:
        raise NotFound("Return not found.")
    return found


def _return_list(qs: QuerySet[Return]) -> QuerySet[Return]:
    return qs.select_related(
        "order", "customer", "receiving_location"
    ).prefetch_related(_return_lines_prefetch())


def customer_returns(customer: Customer) -> QuerySet[Return]:
    """A customer's returns from every channel, newest first: two queries a page."""
    return _return_list(Return.objects.filter(customer=customer)).order_by(
        "-created_at", "-id"
    )


def returns_waiting(*, location: Location) -> QuerySet[Return]:
    """Returns this shop still owes work: those its desk acts on (``returns_open_to``)
    that have a shop and are not refunded: started at its counter and not received
    yet, received here, or received at a warehouse from an order sold here (its cash
    is paid back from this shop's till). Online-started returns have no shop until
    they are received; every desk finds them by their code. Oldest first, two
    queries."""
    open_here = returns_open_to(store=location, sees_all_stores=False)
    return _return_list(
        Return.objects.filter(
            open_here,
            receiving_location__isnull=False,
            status__in=OPEN_RETURN_STATUSES,
        )
    ).order_by("created_at", "id")


def order_returns(order: Order) -> QuerySet[Return]:
    """Every return of one order, oldest first, with its lines: two queries."""
    return _return_list(Return.objects.filter(order=order)).order_by("created_at", "id")


@dataclass(frozen=True)
class OrderReturns:
    """An order's returns as its staff page lists them, oldest first, each with
    ``value`` (its lines' share of what was paid) and ``refunded_as`` (how its money
    went back, part by part: ``refunded_as``); and ``given_back``, all the order has
    given back (``given_back_so_far``: its payments' refunds, every tender, and the
    store credit its returns gave instead, an exchange's included)."""

    returns: list[Return]
    given_back: Decimal


def returns_of_order(order: Order) -> OrderReturns:
    """``OrderReturns`` of ``order`` in a fixed number of queries however many
    returns it has: one for the returns, two for their refunds and store credit
    (none without returns), two for what was given back."""
    money = DecimalField(max_digits=12, decimal_places=2)
    returns = list(
        order.returns.select_related("receiving_location")
        .annotate(value=Coalesce(Sum("lines__amount"), Value(0), output_field=money))
        .prefetch_related(
            Prefetch("refunds", queryset=refunds_made()),
            Prefetch(
                "store_credit", queryset=StoreCreditTransaction.objects.order_by("id")
            ),
        )
        .order_by("created_at", "id")
    )
    for ret in returns:
        ret.value = Decimal(ret.value).quantize(Decimal("0.01"))
        ret.refunded_as = refunded_as(ret)
    return OrderReturns(returns=returns, given_back=given_back_so_far(order))


def awaited_returns(returns) -> list[Return]:
    """Of an order's ``returns``, those still to be received (``requested``): what
    is on them has not come back, it is only no longer there to start a return of.
    The return's page receives it."""
    return [ret for ret in returns if ret.status in AWAITED_RETURN_STATUSES]


@dataclass
class ReturnDeskSearch:
    """What the returns desk found for a query: one return (code or QR), one order
    (number, receipt or pickup QR; with ``left_to_return`` and ``has_lines``, so the
    desk offers a return only of what is left, and when nothing is, why:
    ``awaited``, its returns still to be received, ``gift_cards``, the cards an
    order of no line sold, with their status, or ``given_up``: why no return of
    what is left can be taken, set by the desk: ``no_return_taken``), or the
    returnable orders with something left to return (``left_to_return``) and open
    returns of the customers the query names (email, phone in any format, loyalty
    card, name): an order whose items are all on open returns is listed by those
    returns, not among them."""

    query: str
    return_request: Return | None = None
    order: Order | None = None
    orders: list[Order] | None = None
    returns: list[Return] | None = None
    awaited: list[Return] = field(default_factory=list)
    gift_cards: list = field(default_factory=list)
    given_up: str = ""

    @property
    def empty(self) -> bool:
        return not (self.return_request or self.order or self.orders or self.returns)


def returns_open_to(*, store: Location, sees_all_stores: bool) -> Q:
    """The returns a desk may open: one started online and not received yet is
    every desk's (the customer brings it to any shop); once received, only the
    receiving shop's, and, when a warehouse received it (it came by post), also
    the shop that sold the order: a cash refund is paid from a till. HQ opens every
    return, to read; it acts on one where its desk would (``return_open_to``)."""
    if sees_all_stores:
        return Q()
    return (
        Q(receiving_location__isnull=True)
        | Q(receiving_location=store)
        | Q(
            receiving_location__kind=LocationKind.WAREHOUSE,
            order__placing_location=store,
        )
    )


def return_open_to(ret: Return, *, store: Location) -> bool:
    """The desk at ``store`` acts on ``ret`` (receives, refunds, closes, cancels
    it): ``returns_open_to`` of a shop, for one return already loaded. The same for
    HQ: a refund is paid from the drawer of the shop acted for, so a return
    received elsewhere is acted on from its own shop's desk, HQ switching to it."""
    if ret.receiving_location_id in (None, store.pk):
        return True
    return (
        ret.order.placing_location_id == store.pk
        and ret.receiving_location.kind == LocationKind.WAREHOUSE
    )


def return_desk_search(
    *,
    query: str,
    store: Location,
    sees_all_stores: bool = False,
    region: str | None = None,
) -> ReturnDeskSearch:
    """Everything the desk may look for in one box, in a fixed number of queries;
    of returns, only those this desk may open (``returns_open_to``)."""
    query = (query or "").strip()[:100]
    result = ReturnDeskSearch(query=query)
    if not query:
        return result
    open_here = Return.objects.filter(
        returns_open_to(store=store, sees_all_stores=sees_all_stores)
    )
    code = parse_return_code(query)
    if code is not None:
        result.return_request = (
            open_here.select_related("order").filter(code=code).first()
        )
        if result.return_request is not None:
            return result
    scanned = parse_pickup_qr(query)
    number = scanned[0] if scanned else query.upper()
    result.order = (
        Order.objects.annotate(
            left_to_return=left_to_return(),
            has_lines=Exists(OrderLine.objects.filter(order=OuterRef("pk"))),
        )
        .filter(number=number)
        .first()
    )
    if result.order is not None:
        _why_nothing_left(result)
        return result
    customers = search_customers(query, region=region, limit=DESK_RESULTS)
    if not customers:
        return result
    ids = [c.pk for c in customers]
    result.orders = list(
        Order.objects.filter(
            left_to_return(),
            customer_id__in=ids,
            status__in=RETURNABLE_ORDER_STATUSES,
        )
        .select_related("customer", "placing_location")
        .prefetch_related(order_lines_prefetch())
        .order_by("-created_at", "-id")[:DESK_RESULTS]
    )
    result.returns = list(
        _return_list(
            open_here.filter(customer_id__in=ids, status__in=OPEN_RETURN_STATUSES)
        ).order_by("-created_at", "-id")[:DESK_RESULTS]
    )
    return result


def _why_nothing_left(result: ReturnDeskSearch) -> None:
    """An order found with nothing left to return says why: the cards it sold (an
    order of no line; two queries), or its returns still to be received (one query).
    One with some left says it when no return of it can be taken (``given_up``, set
    by the desk: ``no_return_taken``)."""
    order = result.order
    if order.left_to_return:
        return
    if not order.has_lines:
        result.gift_cards = gift_cards_sold(order)
        return
    result.awaited = list(
        Return.objects.filter(order=order, status__in=AWAITED_RETURN_STATUSES)
        .select_related("order", "receiving_location")
        .order_by("created_at", "id")
    )


def taken_by_returns(order_line_ids) -> dict[int, tuple[Decimal, Decimal]]:
    """Refund and VAT per order line on returns that are not cancelled: what they
    took of the line, whatever their units' running shares came to. In cents: a sum
    SQLite computes comes back with the float's digits."""
    rows = (
        ReturnLine.objects.filter(order_line_id__in=list(order_line_ids))
        .exclude(return_request__status=ReturnStatus.CANCELLED)
        .values("order_line_id")
        .annotate(amount=Sum("amount"), tax=Sum("tax"))
        .order_by()
    )
    cent = Decimal("0.01")
    return {
        row["order_line_id"]: (row["amount"].quantize(cent), row["tax"].quantize(cent))
        for row in rows
    }


def _paid_share(line: OrderLine) -> Decimal:
    """What the customer paid for the whole line: checkout spreads an order's discount
    over its lines (``OrderLine.discount``), so ``line_total`` is already net of it."""
    return Decimal(line.line_total)


def share_left(amount: Decimal, line: OrderLine, units: int, taken: Decimal) -> Decimal:
    """The share of a line's ``amount`` that its first ``units`` units carry, less
    what returns already ``taken`` of it."""
    return max(
        share_of(amount, quantity=line.quantity, before=0, units=units) - taken,
        Decimal("0.00"),
    )


def return_amount(
    line: OrderLine, *, before: int, units: int, taken: Decimal | None = None
) -> Decimal:
    """Refund for ``units`` after ``before`` units on returns that took ``taken``
    (read when not given): the share of all ``before + units`` units less that, so a
    line's refunds add up to what was paid, never more, whatever returns were
    cancelled in between."""
    if taken is None:
        taken = taken_by_returns([line.pk]).get(line.pk, (Decimal("0.00"),))[0]
    return share_left(_paid_share(line), line, before + units, taken)


def paid_each(line: OrderLine) -> Decimal:
    """What one unit of ``line`` was paid, the order's discounts taken off: what
    the first unit brought back refunds (``return_amount``), no query."""
    return return_amount(line, before=0, units=1, taken=Decimal("0.00"))


def refund_of(lines: Sequence[OrderLine], units: Mapping[int, int]) -> Decimal | None:
    """What taking back ``units`` (order line id: units) of ``lines`` (each with
    ``returned``, as ``returnable_lines`` reads them) refunds, each line as the
    return will book it (``return_amount`` after the units already on returns):
    one query; None when no unit is chosen."""
    chosen = [(line, units.get(line.pk) or 0) for line in lines]
    chosen = [(line, count) for line, count in chosen if count > 0]
    if not chosen:
        return None
    taken = taken_by_returns([line.pk for line, _ in chosen])
    nothing = (Decimal("0.00"),)
    return sum(
        (
            return_amount(
                line,
                before=line.returned,
                units=count,
                taken=taken.get(line.pk, nothing)[0],
            )
            for line, count in chosen
        ),
        Decimal("0.00"),
    )


def return_points(ret: Return) -> dict:
    """The points a refunded return took back from the balance (``taken``) and those
    of its share already spent, which were not (``spent``): one query, none for a
    return without points."""
    share = ret.points_reversed
    if not share:
        return {"taken": 0, "spent": 0}
    booked = LoyaltyTransaction.objects.filter(
        reference_type=RETURN_REFERENCE, reference_id=ret.code
    ).aggregate(total=Sum("points"))["total"]
    taken = -(booked or 0)
    return {"taken": taken, "spent": max(share - taken, 0)}


def refunded_as(ret: Return) -> list[Tender]:
    """How a refunded return's money went back, each part as it was made
    (``return_refunds``: points, gift card, card, cash, then store credit): a refund
    as store credit lists the share paid in points as points. Two queries, none when
    the return's page loaded them."""
    prefetch_related_objects(
        [ret],
        Prefetch("refunds", queryset=refunds_made()),
        Prefetch(
            "store_credit", queryset=StoreCreditTransaction.objects.order_by("id")
        ),
    )
    return return_refunds(ret)


def refund_parts(ret: Return) -> list[dict]:
    """Where a refunded return's money went, part by part (``refunded_as``), as data
    (amounts as strings): what a refund as store credit gave back as points is not
    counted as credit. Empty until it is refunded."""
    if ret.refunded_at is None:
        return []
    return [
        {"method": part.method, "amount": str(part.amount)} for part in refunded_as(ret)
    ]


def refund_said(ret: Return) -> str:
    """A refunded return's money back in words, each part where it went ("30.00 EUR
    to loyalty points, 15.00 EUR to store credit"), as the desk and the customer's
    timeline say it."""
    currency = ret.order.currency
    parts = [
        f"{part.amount} {currency} to {part.label.lower()}" for part in refunded_as(ret)
    ]
    return ", ".join(parts) or f"0.00 {currency}"


def cash_rounded_out(ret: Return) -> Decimal | None:
    """The cash a return's refunds paid out of the drawer when the till rounded it
    to its smallest coin (29.98 francs refunded: 30.00), as the till booked it;
    None when no cash of it was rounded. One query."""
    booked = TillMovement.objects.filter(
        refund__return_refund__return_request=ret
    ).aggregate(paid=Sum("amount"), rounded=Sum("rounding"))
    return -booked["paid"].quantize(Decimal("0.01")) if booked["rounded"] else None
