"""The customer page's panel list, at the path other apps' staff views still read."""

# Re-exports until every caller imports from its defining module.
from omnistore.staff.panels import customer_panels

__all__ = ["customer_panels"]
