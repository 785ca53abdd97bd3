"""Opening stock, written in bulk with its receipt ledger rows, a chunk of products at
a time so memory stays bounded at any scale."""

from __future__ import annotations

import random

from django.db import reset_queries

from inventory.models import (
    Category,
    Location,
    MovementReason,
    Product,
    StockLevel,
    StockMovement,
    Variant,
)

from .batches import BATCH_SIZE, batches
from .catalog import CARE, EXTRA_PRODUCTS_PER_SCALE, STYLES, product_specs, variants_for

PRODUCTS_PER_CHUNK = 100
SHOP_ASSORTMENT = 120  # products a generated shop carries, roughly, at large scale


class _StockWriter:
    """Buffers opening levels with their receipt rows; flushes both together."""

    def __init__(self, *, actor_id: int | None):
        self.actor_id = actor_id
        self.levels: list[StockLevel] = []
        self.movements: list[StockMovement] = []
        self.level_count = 0
        self.movement_count = 0

    def add(self, *, variant_id, location_id, on_hand, safety_stock, threshold) -> None:
        self.levels.append(
            StockLevel(
                variant_id=variant_id,
                location_id=location_id,
                on_hand=on_hand,
                safety_stock=safety_stock,
                low_stock_threshold=threshold,
            )
        )
        if on_hand:
            self.movements.append(
                StockMovement(
                    variant_id=variant_id,
                    location_id=location_id,
                    delta_on_hand=on_hand,
                    reason=MovementReason.RECEIPT,
                    reference_type="opening_balance",
                    reference_id="demo",
                    note="Opening stock",
                    actor_id=self.actor_id,
                )
            )
        if len(self.levels) >= BATCH_SIZE:
            self.flush()

    def flush(self) -> None:
        if self.levels:
            StockLevel.objects.bulk_create(self.levels, batch_size=BATCH_SIZE)
            self.level_count += len(self.levels)
            self.levels = []
        if self.movements:
            StockMovement.objects.bulk_create(self.movements, batch_size=BATCH_SIZE)
            self.movement_count += len(self.movements)
            self.movements = []


WAREHOUSE_PROFILES = {
    "WH-PC": (0.06, (60, 400), 0.5, (5, 20)),
    "WH-BO": (0.10, (20, 220), 0.4, (5, 15)),
    "WH-VR": (0.18, (5, 120), 0.3, (2, 10)),
}


def _warehouse_quantity(rng: random.Random, code: str) -> tuple[int, int, int]:
    zero, (low, high), safety_chance, (s_low, s_high) = WAREHOUSE_PROFILES.get(
        code, WAREHOUSE_PROFILES["WH-BO"]
    )
    on_hand = 0 if rng.random() < zero else rng.randint(low, high)
    safety = rng.randint(s_low, s_high) if rng.random() < safety_chance else 0
    return on_hand, safety, rng.choice([10, 15, 20, 25, 30])


def _shop_quantity(
    rng: random.Random, *, flagship: bool, ships: bool
) -> tuple[int, int, int]:
    roll = rng.random()
    if roll < 0.08:
        on_hand = 0
    elif roll < 0.20:
        on_hand = rng.randint(1, 2)
    else:
        on_hand = rng.randint(3, 25 if flagship else 14)
    safety = 1 if ships and rng.random() < 0.3 else 0
    return on_hand, safety, rng.choice([1, 2, 2, 3, 3])


def seed_catalog_and_stock(
    rng: random.Random,
    *,
    scale: int,
    categories: dict[tuple[str, str], Category],
    warehouses: list[Location],
    shops: list[Location],
    actor_id: int | None,
    say,
) -> dict[str, int]:
    total_products = len(STYLES) + EXTRA_PRODUCTS_PER_SCALE * (scale - 1)
    carry = min(0.7, SHOP_ASSORTMENT / total_products)
    flagship_id = shops[0].pk if shops else None
    shop_rows = [(s.pk, s.pk == flagship_id, s.ships_online_orders) for s in shops]
    writer = _StockWriter(actor_id=actor_id)
    products = variants = serial = 0
    for chunk in batches(product_specs(rng, scale), PRODUCTS_PER_CHUNK):
        created = Product.objects.bulk_create(
            [
                Product(
                    name=spec.name,
                    brand=spec.style.brand,
                    category=categories[(spec.style.audience, spec.style.kind)],
                    description=(
                        f"{spec.name} by {spec.style.brand}, in {spec.style.material}. "
                        f"{CARE[spec.style.kind]}"
                    ),
                )
                for spec in chunk
            ]
        )
        per_product = []
        for product, spec in zip(created, chunk, strict=True):
            rows = variants_for(product, spec, serial)
            serial += len(rows)
            per_product.append(rows)
        Variant.objects.bulk_create(
            [v for rows in per_product for v in rows], batch_size=BATCH_SIZE
        )
        for rows in per_product:
            for variant in rows:
                for warehouse in warehouses:
                    on_hand, safety, threshold = _warehouse_quantity(
                        rng, warehouse.code
                    )
                    writer.add(
                        variant_id=variant.pk,
                        location_id=warehouse.pk,
                        on_hand=on_hand,
                        safety_stock=safety,
                        threshold=threshold,
                    )
            for shop_id, flagship, ships in shop_rows:
                if not flagship and rng.random() >= carry:
                    continue
                for variant in rows:
                    on_hand, safety, threshold = _shop_quantity(
                        rng, flagship=flagship, ships=ships
                    )
                    writer.add(
                        variant_id=variant.pk,
                        location_id=shop_id,
                        on_hand=on_hand,
                        safety_stock=safety,
                        threshold=threshold,
                    )
        writer.flush()
        # With DEBUG on, Django keeps the SQL of the last 9,000 queries, bulk inserts
        # included: forget them, so memory stays flat however large the scale.
        reset_queries()
        products += len(created)
        variants += sum(len(rows) for rows in per_product)
        if scale > 1 and products % 1000 < PRODUCTS_PER_CHUNK:
            say(f"  {products:,}/{total_products:,} products, {variants:,} variants")
    return {
        "products": products,
        "variants": variants,
        "stock levels": writer.level_count,
        "stock movements": writer.movement_count,
    }
