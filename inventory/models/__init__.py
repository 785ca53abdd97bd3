"""The inventory app's models, one module per concern; Django and callers import them
from here (``from inventory.models import Variant``)."""

from simple_history import register

from inventory.models.catalog import (
    Category,
    Product,
    Variant,
)
from inventory.models.images import (
    ProductImage,
    _image_path,  # noqa: F401  (named by migration 0004)
)
from inventory.models.locations import (
    Location,
    LocationKind,
)
from inventory.models.markets import (
    LegalEntity,
    Market,
    MarketCountry,
    PriceList,
    PriceListPrice,
)
from inventory.models.stock import (
    LowStockNotice,
    MovementReason,
    Reservation,
    ReservationStatus,
    StockLevel,
    StockMovement,
    free_units,
    free_units_sql,
)
from inventory.models.taxes import (
    TaxClass,
    TaxRate,
)
from inventory.models.transfers import (
    Transfer,
    TransferEvent,
    TransferLine,
    TransferStatus,
)
from omnistore.core.audit import AdminHistory

__all__ = [
    "Category",
    "Product",
    "Variant",
    "ProductImage",
    "TaxClass",
    "TaxRate",
    "LegalEntity",
    "Market",
    "MarketCountry",
    "PriceList",
    "PriceListPrice",
    "Location",
    "LocationKind",
    "MovementReason",
    "Reservation",
    "ReservationStatus",
    "StockLevel",
    "StockMovement",
    "LowStockNotice",
    "free_units",
    "free_units_sql",
    "Transfer",
    "TransferEvent",
    "TransferLine",
    "TransferStatus",
]

# What the admin edits keeps its history (who, when, each field before and after), shown
# on the object's history page. Stock quantities are the ledger's, not kept here. The
# history models live in this module, as they did when the app's models were one file.
for _model in (Category, Product, Variant, Location, ProductImage):
    register(_model, app="inventory", manager_name="audit", records_class=AdminHistory)
register(
    StockLevel,
    app="inventory",
    manager_name="audit",
    records_class=AdminHistory,
    excluded_fields=["on_hand", "reserved", "updated_at"],
)
