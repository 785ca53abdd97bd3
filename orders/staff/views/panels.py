"""What the orders app adds to other staff pages: the dashboard's work cards and the
customer 360° page's loyalty tier, orders and returns."""

from __future__ import annotations

from omnistore.staff.auth import current_store
from omnistore.staff.panels import customer_panels, dashboard_panels, register
from orders.selectors.credit import next_store_credit_expiry
from orders.selectors.loyalty import customer_standing
from orders.selectors.orders import customer_orders
from orders.selectors.returns import customer_returns
from orders.selectors.work import work_counts
from orders.staff.views.access import warehouses_worked
from orders.staff.views.cart_panel import customer_cart_panel
from orders.staff.views.returns import marked_openable


def work_panel(request, store) -> dict:
    """Dashboard cards: orders to pick here (and at the warehouses the user works
    for, said on the card: the picking page lists them apart), orders picked and
    waiting to be made ready or shipped here, pickups waiting at the desk and
    returns to process."""
    if store is None:
        return {}
    warehouses = warehouses_worked(request.user, store)
    return {
        "order_work": work_counts(location=store, warehouse_ids=warehouses),
        "picks_at_warehouses": warehouses is None or bool(warehouses),
    }


def customer_loyalty_panel(request, customer) -> dict | None:
    """The customer's tier, kept spend, progress and points' worth (one query)."""
    return {
        "template": "orders/staff/_customer_loyalty.html",
        "standing": customer_standing(customer),
    }


CUSTOMER_ORDERS_SHOWN = 10


def customer_orders_panel(request, customer) -> dict | None:
    """The customer's latest orders from every channel on the 360° page (two queries)."""
    orders = list(customer_orders(customer)[: CUSTOMER_ORDERS_SHOWN + 1])
    return {
        "template": "orders/staff/_customer_orders.html",
        "orders": orders[:CUSTOMER_ORDERS_SHOWN],
        "more": len(orders) > CUSTOMER_ORDERS_SHOWN,
        "customer": customer,
    }


CUSTOMER_RETURNS_SHOWN = 5


def customer_returns_panel(request, customer) -> dict | None:
    """Returns and store credit, with what of it expires next, on the 360° page (two
    queries, three with a balance); a return is linked only where this desk may open
    it (``marked_openable``)."""
    returns = list(customer_returns(customer)[: CUSTOMER_RETURNS_SHOWN + 1])
    if not returns and not customer.store_credit_balance:
        return None
    shown = returns[:CUSTOMER_RETURNS_SHOWN]
    return {
        "template": "orders/staff/returns/_customer_returns.html",
        "returns": marked_openable(request.user, shown, current_store(request)),
        "more": len(returns) > CUSTOMER_RETURNS_SHOWN,
        "customer": customer,
        "credit_expiry": next_store_credit_expiry(customer),
    }


register(dashboard_panels, work_panel)
register(customer_panels, customer_loyalty_panel)
register(customer_panels, customer_orders_panel)
register(customer_panels, customer_returns_panel)
register(customer_panels, customer_cart_panel)
