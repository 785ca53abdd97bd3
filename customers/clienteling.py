"""The associate's client book: the timeline kinds it reads. Its tasks are
``customers.models.ClientTask``."""

# Timeline kinds the client book reads. A purchase is what orders writes when an order
# is placed, a collection when one is handed over at a shop, a cancellation when the
# order is cancelled, with the order's reference (orders.services.common,
# orders.services.pickups and orders.services.fulfilment; a test keeps them equal):
# customers reads its own timeline, never orders.
PURCHASE_EVENT = "order_placed"
COLLECT_EVENT = "order_collected"
CANCEL_EVENT = "order_cancelled"
EVENT_BACK_IN_STOCK = "wishlist_item_back_in_stock"
WISHLIST_EVENTS = ("wishlist_item_added", "wishlist_item_removed", EVENT_BACK_IN_STOCK)
