"""Writes on carts and orders, one module per state machine: carts, sourcing,
checkout and placing, fulfilment, pickups, payments, loyalty, returns, refunds,
exchanges and discount codes."""
