"""The associate's client book: the timeline kinds it reads. Its tasks are
``customers.models.ClientTask``."""

# Timeline kinds the client book reads. A purchase is what orders writes when an order
# is placed, a collection when one is handed over at a shop (orders.services.common and
# orders.services.pickups; a test keeps them equal): customers reads its own timeline,
# never orders.
PURCHASE_EVENT = "order_placed"
COLLECT_EVENT = "order_collected"
EVENT_BACK_IN_STOCK = "wishlist_item_back_in_stock"
WISHLIST_EVENTS = ("wishlist_item_added", "wishlist_item_removed", EVENT_BACK_IN_STOCK)
