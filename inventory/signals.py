"""Domain events other apps subscribe to, sent after commit.

``stock_changed`` carries ``changes``: a list of ``(variant_id, location_id)`` pairs whose
level moved. Higher apps (campaigns: back in stock) listen without inventory importing them.
"""

from django.dispatch import Signal

stock_changed = Signal()
