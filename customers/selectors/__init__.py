"""Reads on customer profiles: identities, profiles and the 360° view, the timeline,
the data export and wishlists. Every list costs a fixed number of queries."""

# Re-exports until every caller imports from its defining module.
from customers.selectors.identities import customer_for_user
from customers.selectors.profiles import search_customers

__all__ = ["customer_for_user", "search_customers"]
