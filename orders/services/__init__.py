"""Writes on carts and orders, one module per state machine: carts, sourcing,
checkout and placing, fulfilment, pickups, payments, loyalty, returns, refunds,
exchanges and discount codes."""

# Re-exports until every caller imports from its defining module.
from .carts import (
    add_cart_lines,
    create_cart,
    ensure_customer_cart,
    fold_customer_carts,
    merge_anonymous_cart,
    redact_customer_orders,
    remove_cart_line,
    set_cart_line_quantity,
    start_cart,
    storefront_customer,
)
from .checkout import (
    LineRequest,
    place_order,
)
from .common import (
    MAX_LINE_QUANTITY,
)
from .discounts import (
    DISCOUNT_EDITABLE_TERMS,
    create_discount_code,
    deactivate_discount_code,
    discount_code_pattern_ok,
    normalize_discount_code,
    preview_discount,
    update_discount_code,
)
from .exchanges import (
    exchange_items,
)
from .fulfilment import (
    cancel_order,
    mark_delivered,
    mark_picked,
    mark_ready,
    ship_order,
)
from .loyalty import (
    award_points_for_orders,
)
from .payments import (
    PaymentRequest,
    refund_payment,
)
from .pickups import (
    collect_order,
    expire_uncollected_pickups,
    send_pickup_reminders,
)
from .refunds import (
    receive_and_refund_return,
    receive_return,
    refund_return,
    return_at_counter,
)
from .returns import (
    ReceiveLine,
    ReturnLineRequest,
    cancel_return,
    close_return,
    request_return,
)

__all__ = [
    "DISCOUNT_EDITABLE_TERMS",
    "LineRequest",
    "MAX_LINE_QUANTITY",
    "PaymentRequest",
    "ReceiveLine",
    "ReturnLineRequest",
    "add_cart_lines",
    "award_points_for_orders",
    "cancel_order",
    "cancel_return",
    "close_return",
    "collect_order",
    "create_cart",
    "create_discount_code",
    "deactivate_discount_code",
    "discount_code_pattern_ok",
    "ensure_customer_cart",
    "exchange_items",
    "expire_uncollected_pickups",
    "fold_customer_carts",
    "mark_delivered",
    "mark_picked",
    "mark_ready",
    "merge_anonymous_cart",
    "normalize_discount_code",
    "place_order",
    "preview_discount",
    "receive_and_refund_return",
    "receive_return",
    "redact_customer_orders",
    "refund_payment",
    "refund_return",
    "remove_cart_line",
    "request_return",
    "return_at_counter",
    "send_pickup_reminders",
    "set_cart_line_quantity",
    "ship_order",
    "start_cart",
    "storefront_customer",
    "update_discount_code",
]
