"""Reads of the orders app, one module per sub-domain: carts, orders, pickups, a shop's
order work, the assisted sale, returns, store credit and the admin reports."""
