"""Price drops: each change of a price-list price is kept as a ``PriceChange``, so a
price drop in a market that sells at its own list is measured from the price its
wishers saw (``price_drop_items``); the catalogue's is stamped on the item itself."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from campaigns.models import PriceChange
from inventory.markets import ListPriceChange


@transaction.atomic
def record_price_changes(*, changes: Iterable[ListPriceChange]) -> int:
    """Keep committed changes of price-list prices; returns how many. Runs after the
    change committed, in the request that made it: one INSERT, whatever the number."""
    rows = [
        PriceChange(
            price_list_id=change.price_list_id,
            variant_id=change.variant_id,
            was=change.was,
            price=change.price,
            at=change.at,
        )
        for change in changes
        if change.was != change.price
    ]
    if rows:
        PriceChange.objects.bulk_create(rows)
    return len(rows)
