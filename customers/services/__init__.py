"""Writes on customer profiles, one module per state machine: matching, timeline,
loyalty, consents, profiles, merge, erasure, storefront accounts and wishlists."""

# Re-exports until every caller imports from its defining module.
from customers.normalize import (
    normalize_email,
    normalize_loyalty_number,
    normalize_phone,
)
from customers.selectors.identities import live_customer_id, resolve_customer
from customers.services.accounts import register_customer
from customers.services.consents import set_consent
from customers.services.erasure import erase_customer
from customers.services.loyalty import (
    PointsBooking,
    earn_points,
    earn_points_in_bulk,
    reverse_points,
)
from customers.services.matching import flag_duplicate, match_customer
from customers.services.merge import merge_customers
from customers.services.profiles import update_profile
from customers.services.timeline import add_note, record_event, record_events
from customers.services.wishlists import (
    add_wishlist_item,
    archive_wishlist,
    create_wishlist,
    remove_wishlist_item,
)

__all__ = [
    "PointsBooking",
    "add_note",
    "add_wishlist_item",
    "archive_wishlist",
    "create_wishlist",
    "earn_points",
    "earn_points_in_bulk",
    "erase_customer",
    "flag_duplicate",
    "match_customer",
    "merge_customers",
    "normalize_email",
    "normalize_loyalty_number",
    "normalize_phone",
    "live_customer_id",
    "resolve_customer",
    "record_event",
    "record_events",
    "register_customer",
    "remove_wishlist_item",
    "reverse_points",
    "set_consent",
    "update_profile",
]
