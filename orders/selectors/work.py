"""Reads of a shop's order work: the picking queue with what the shelf needs
(barcodes), orders picked and waiting for their next step, and the dashboard counts.

Each costs a fixed number of queries whatever the number of orders or lines.
"""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet

from inventory.models import Location
from orders.models import (
    Fulfilment,
    FulfilmentMethod,
    FulfilmentStatus,
    Order,
    OrderLine,
    OrderStatus,
)
from orders.selectors.orders import (
    orders_at_warehouses,
    orders_awaiting_transfer,
    orders_to_pick,
)
from orders.selectors.payments import hold_lapsed_of_row
from orders.selectors.pickups import pickups_waiting
from orders.selectors.returns import returns_waiting


def _for_the_shelf(orders: QuerySet[Order]) -> QuerySet[Order]:
    """Lines in SKU order with their variant (barcode to scan) and fulfilment."""
    return orders.prefetch_related(None).prefetch_related(
        Prefetch(
            "lines",
            queryset=OrderLine.objects.select_related("fulfilment", "variant").order_by(
                "sku", "id"
            ),
        ),
        Prefetch(
            "fulfilments",
            queryset=Fulfilment.objects.select_related(
                "location", "pickup_location", "transfer"
            ),
        ),
    )


def picking_queue(*, location: Location) -> QuerySet[Order]:
    """Placed orders this shop takes off its shelves, oldest first (three queries)."""
    return _for_the_shelf(orders_to_pick(location=location))


def awaiting_transfer(*, location: Location) -> QuerySet[Order]:
    """Pickups here whose goods are still travelling from elsewhere (three queries)."""
    return _for_the_shelf(orders_awaiting_transfer(location=location))


def picked_here(*, location: Location) -> QuerySet[Order]:
    """Picked orders whose next step happens at this shop: pickups here to be made
    ready, deliveries whose part sourced here is picked and to be shipped (an order
    split over several shops is here only while this shop's part waits). Oldest
    first (three queries); ``hold_lapsed`` marks an order whose card hold lapsed,
    which is cancelled rather than shipped."""
    here = Q(
        fulfilments__pickup_location=location,
        fulfilments__method=FulfilmentMethod.PICKUP,
    ) | Q(
        fulfilments__location=location,
        fulfilments__method=FulfilmentMethod.DELIVERY,
        fulfilments__status=FulfilmentStatus.PICKED,
    )
    orders = (
        Order.objects.filter(here, status=OrderStatus.PICKED)
        .annotate(hold_lapsed=hold_lapsed_of_row())
        .select_related("customer")
        .distinct()
        .order_by("updated_at", "id")
    )
    return _for_the_shelf(orders)


def work_counts(*, location: Location, warehouse_ids=()) -> dict[str, int]:
    """Dashboard: orders to pick here, orders picked and waiting for their next step
    here (``picked_here``, as the picking list counts them), pickups waiting at the
    desk and returns to process at this shop (four queries). Orders to pick include
    those with a part still to pick or ship at the warehouses ``warehouse_ids``
    (None: every one, for HQ; the warehouses staff are given), each order once."""
    to_pick = orders_to_pick(location=location)
    if warehouse_ids is None or warehouse_ids:
        at_warehouses = orders_at_warehouses(location_ids=warehouse_ids)
        to_pick = Order.objects.filter(
            Q(pk__in=to_pick.order_by().values("pk"))
            | Q(pk__in=at_warehouses.order_by().values("pk"))
        )
    return {
        "orders_to_pick": to_pick.count(),
        "picked_waiting": picked_here(location=location).count(),
        "pickups_waiting": pickups_waiting(location=location).count(),
        "returns_waiting": returns_waiting(location=location).count(),
    }
