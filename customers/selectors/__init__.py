"""Reads on customer profiles: identities, profiles and the 360° view, the timeline,
the data export and wishlists. Every list costs a fixed number of queries."""
