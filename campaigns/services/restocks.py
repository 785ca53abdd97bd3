"""Back in stock: watched stock changes of wished variants become ``Restock`` rows
when a variant comes back from nothing."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from campaigns.models import Restock, StockSnapshot, StockWatch
from campaigns.selectors.wishlists import (
    wished_stock,
    wished_units,
    wished_units_at,
    wished_variant_ids,
)
from customers.services.tasks import open_restock_tasks

# Watched stock changes looked at per transaction.
RESTOCK_BATCH = 1000


def watch_stock_changes(*, changes) -> int:
    """Note the (variant, location) pairs of a committed stock change whose variant is
    on a wishlist, for ``detect_restocks``.

    Runs in the request that changed the stock, after its commit: one read of the
    wishlist items' variant index, and an INSERT only when a changed variant is wished
    (``ON CONFLICT DO NOTHING``: a pair already waiting is not written again). Rows go
    in (variant, location) order, so two inserts of the same pairs cannot deadlock.
    """
    pairs = sorted({(int(variant), int(location)) for variant, location in changes})
    if not pairs:
        return 0
    wished = wished_variant_ids({variant for variant, _ in pairs})
    rows = [
        StockWatch(variant_id=variant, location_id=location)
        for variant, location in pairs
        if variant in wished
    ]
    if rows:
        StockWatch.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def detect_restocks(*, now: datetime | None = None, batch_size: int | None = None):
    """Record a ``Restock`` for every watched variant that came back from nothing:
    online, or at a shop that is a wisher's preferred store. Returns how many.

    "From nothing" compares the units now with those last seen (``StockSnapshot``).
    A scope not seen since the variant's earliest active wishlist item was added is
    compared with its units at that moment, read back from the ledger: an item wished
    while sold out comes back even if nobody looked in between. A top-up of stock that
    was there, or stock that went and came back between two runs, is no restock.

    Safe to run twice at once: a watched pair is taken by one run only, and the
    snapshots of a variant are locked while it is looked at.
    """
    now = now or timezone.now()
    size = max(int(batch_size or RESTOCK_BATCH), 1)
    found = 0
    while True:
        taken, recorded = _detect_restock_batch(now, size)
        found += recorded
        if taken < size:
            return found


@transaction.atomic
def _detect_restock_batch(now: datetime, size: int) -> tuple[int, int]:
    """Take watched pairs and delete them *before* reading the stock: a change that
    committed while its pair was still waiting is in what is read here; one that
    commits later writes a new pair for the next run."""
    taken = list(
        StockWatch.objects.select_for_update(skip_locked=True)
        .order_by("pk")
        .values_list("pk", "variant_id", "location_id")[:size]
    )
    if not taken:
        return 0, 0
    StockWatch.objects.filter(pk__in=[pk for pk, _, _ in taken]).delete()
    wished = wished_stock({variant for _, variant, _ in taken})
    shops = {
        (variant, location)
        for _, variant, location in taken
        if variant in wished and location in wished[variant].stores
    }
    scopes = {(variant, None) for variant in wished} | shops
    if not scopes:
        return len(taken), 0
    snapshots = _lock_snapshots(scopes)
    units = wished_units(variant_ids=list(wished), pairs=shops)
    stale = {
        key
        for key, seen in snapshots.items()
        if seen.units is None or seen.observed_at < wished[key[0]].since
    }
    before = wished_units_at(
        since={variant: wished[variant].since for variant, _ in stale},
        pairs=[key for key in stale if key[1] is not None],
    )
    back = []
    for key, seen in snapshots.items():
        was = before[key] if key in stale else seen.units
        if was <= 0 < units[key]:
            back.append((key, units[key]))
        seen.units = units[key]
        seen.observed_at = now
    StockSnapshot.objects.bulk_update(
        list(snapshots.values()), ["units", "observed_at"]
    )
    if back:
        _record_restocks(back, now)
    return len(taken), len(back)


def _scope_order(scope) -> tuple[int, int]:
    return scope[0], scope[1] or 0


def _lock_snapshots(scopes) -> dict:
    """The snapshot of each scope (created unseen when missing), locked in
    primary-key order, so two runs looking at one variant take turns."""
    StockSnapshot.objects.bulk_create(
        [
            StockSnapshot(variant_id=variant, location_id=location)
            for variant, location in sorted(scopes, key=_scope_order)
        ],
        ignore_conflicts=True,
    )
    rows = (
        StockSnapshot.objects.select_for_update()
        .filter(variant_id__in={variant for variant, _ in scopes})
        .order_by("pk")
    )
    return {
        (row.variant_id, row.location_id): row
        for row in rows
        if (row.variant_id, row.location_id) in scopes
    }


def _record_restocks(back, now: datetime) -> None:
    """One number per variant and look, shared by its scopes (its snapshots are
    locked, so the number cannot be taken twice)."""
    variants = {variant for (variant, _), _ in back}
    last = dict(
        Restock.objects.filter(variant_id__in=variants)
        .order_by()
        .values("variant_id")
        .annotate(n=Max("number"))
        .values_list("variant_id", "n")
    )
    Restock.objects.bulk_create(
        [
            Restock(
                variant_id=variant,
                location_id=location,
                number=last.get(variant, 0) + 1,
                units=units,
                at=now,
            )
            for (variant, location), units in sorted(
                back, key=lambda pair: _scope_order(pair[0])
            )
        ]
    )
    # The wishers' timelines and the client book hear of it in the same transaction.
    open_restock_tasks(
        restocks=[
            (variant, location, last.get(variant, 0) + 1)
            for (variant, location), _ in back
        ],
        now=now,
    )
