"""The staff stock forms live in ``inventory.staff.forms``."""

# Re-exports until every caller imports from its defining module.
from inventory.staff.forms import VariantCodeField

__all__ = ["VariantCodeField"]
