"""Demo and benchmark data for the catalog, the locations, the staff and the stock.

Deterministic: one ``random.Random(42)`` drives every choice, in a fixed order, so two
fresh databases seeded at the same scale hold the same SKUs, barcodes and quantities.

Scale 1 is the hand-made demo: 3 warehouses, shops in real Italian and European streets,
about 50 products. ``scale=N`` adds generated shops around real cities and about 1,000
variants per unit, for benchmarks (scale 100: ~300 shops, ~100k variants).

Memory stays bounded at any scale: products are created a chunk at a time, each chunk's
variants and their stock are written at once with ``bulk_create`` and then dropped.

Opening stock is inserted in bulk rather than through ``inventory.services``: a level
and its ``receipt`` ledger row are written in the same transaction, so the ledger sums
to the levels exactly as if every unit had been received one call at a time. No
``stock_changed`` signal is sent: nothing came back in stock for anyone.
"""

from __future__ import annotations

import random
import time

from django.db import transaction

from inventory.models import Category, Location
from omnistore.accounts.models import Role

from .catalog import seed_categories
from .locations import WAREHOUSES, seed_locations
from .markets import seed_markets
from .staff import seed_staff
from .stock import seed_catalog_and_stock


def _printer(stdout):
    def say(message: str) -> None:
        if stdout is not None:
            stdout.write(message)

    return say


def seed_inventory(*, scale: int = 1, stdout=None) -> dict[str, int]:
    """Create the demo locations, staff, catalog and opening stock; returns counts.

    Runs once per database: when the demo warehouses exist it reports and skips, so
    ``make demo`` can be repeated. Everything is written in one transaction, so an
    interrupted run leaves nothing half-seeded behind.
    """
    if not isinstance(scale, int) or scale < 1:
        raise ValueError("scale must be a whole number of at least 1")
    say = _printer(stdout)
    if Location.objects.filter(code=WAREHOUSES[0].code).exists():
        say("Inventory: demo data already present, skipped (seed an empty database).")
        return {}
    started = time.monotonic()
    rng = random.Random(42)
    with transaction.atomic():
        warehouses, shops = seed_locations(rng, scale)
        staff = seed_staff({shop.code: shop for shop in shops})
        categories = seed_categories()
        hq = next(user for user in staff if user.role == Role.HQ)
        counts = {
            "warehouses": len(warehouses),
            "shops": len(shops),
            "staff users": len(staff),
            "categories": Category.objects.count(),
        }
        counts |= seed_catalog_and_stock(
            rng,
            scale=scale,
            categories=categories,
            warehouses=warehouses,
            shops=shops,
            actor_id=hq.pk,
            say=say,
        )
        counts |= seed_markets(warehouses + shops)
    summary = ", ".join(f"{n:,} {label}" for label, n in counts.items())
    say(f"Inventory: {summary} ({time.monotonic() - started:.1f} s).")
    return counts
