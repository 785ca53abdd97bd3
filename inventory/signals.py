"""Domain events other apps subscribe to, sent after commit.

``stock_changed`` carries ``changes``: a list of ``(variant_id, location_id)`` pairs whose
level moved, except holds (reservations) that left units free at their location beyond
the safety stock: those can neither bring an item back nor empty a location. Higher apps
(campaigns: back in stock) listen without inventory importing them.
"""

from django.dispatch import Signal

stock_changed = Signal()
