"""Reads of the orders app, one module per sub-domain: carts, orders, pickups, a shop's
order work, the assisted sale, returns, store credit and the admin reports."""

# Re-exports until every caller imports from its defining module.
from orders.selectors.carts import (
    cart_availability,
    cart_lines,
    find_cart,
    open_cart_lines,
    started_cart,
)
from orders.selectors.credit import store_credit_discrepancies
from orders.selectors.orders import (
    customer_orders,
    order_by_id,
    order_detail,
    orders_awaiting_transfer,
    orders_for_email,
    orders_to_pick,
    replayed_order,
)
from orders.selectors.pickups import find_pickup, pickup_qr_payload, pickups_waiting
from orders.selectors.reports import sales_report
from orders.selectors.returns import (
    RETURNABLE_ORDER_STATUSES,
    customer_returns,
    handed_over_at,
    return_by_id,
    return_deadline,
    return_detail,
    return_qr_payload,
    returned_quantities,
)

__all__ = [
    "RETURNABLE_ORDER_STATUSES",
    "cart_availability",
    "cart_lines",
    "customer_returns",
    "customer_orders",
    "find_cart",
    "find_pickup",
    "handed_over_at",
    "open_cart_lines",
    "order_by_id",
    "order_detail",
    "orders_awaiting_transfer",
    "orders_for_email",
    "orders_to_pick",
    "pickup_qr_payload",
    "pickups_waiting",
    "replayed_order",
    "return_by_id",
    "return_deadline",
    "return_detail",
    "return_qr_payload",
    "returned_quantities",
    "sales_report",
    "started_cart",
    "store_credit_discrepancies",
]
