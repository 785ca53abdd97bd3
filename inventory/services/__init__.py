"""Every change of stock goes through these modules, with its ledger row in the same
transaction: ``stock`` (receipts, adjustments, counts), ``reservations`` (holds, releases,
sales), ``transfers`` (between locations), over the ``ledger`` they all write."""

# Re-exports until every caller imports from its defining module.
from .ledger import StockRequest
from .reservations import (
    consume_reservations,
    release_reservations,
    reserve_stock,
    sell_stock,
)
from .stock import adjust_stock, count_stock, receive_stock
from .transfers import (
    cancel_transfer,
    receive_transfer,
    request_transfer,
    ship_transfer,
)

__all__ = [
    "StockRequest",
    "adjust_stock",
    "cancel_transfer",
    "consume_reservations",
    "count_stock",
    "receive_stock",
    "receive_transfer",
    "release_reservations",
    "request_transfer",
    "reserve_stock",
    "sell_stock",
    "ship_transfer",
]
