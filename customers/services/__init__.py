"""Writes on customer profiles, one module per state machine: matching, timeline,
loyalty, consents, profiles, merge, erasure, storefront accounts and wishlists."""
