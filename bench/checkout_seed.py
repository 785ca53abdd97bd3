"""The checkout benchmark's database: a catalogue, shops and warehouses with stock,
customers and their order history, bulk-loaded and then left to settle."""

from __future__ import annotations

import time

from checkout_config import HOT, N_CUSTOMERS, N_ORDERS, N_SHOPS, N_VARIANTS


def seed() -> dict:
    """Seeds the database; returns the shop ids and the best sellers' variant ids."""
    from django.core.management import call_command
    from django.db import connection, transaction

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    with transaction.atomic(), connection.cursor() as cur:
        seed_catalogue(cur)
        seed_locations(cur)
        seed_stock(cur)
    seed_customers()
    with transaction.atomic(), connection.cursor() as cur:
        seed_order_history(cur)
    settle()
    data = flow_ids()
    print(
        f"seeded {N_VARIANTS} variants, {N_SHOPS} shops + 3 warehouses, {N_CUSTOMERS} "
        f"customers, {N_ORDERS} past orders in {time.perf_counter() - started:.0f} s"
    )
    return data


def seed_catalogue(cur) -> None:
    """40 categories and five sizes of every product."""
    n_products = max(N_VARIANTS // 5, 1)
    cur.execute(
        "INSERT INTO inventory_category (name, slug, parent_id) "
        "SELECT 'Category ' || g, 'category-' || g, NULL FROM generate_series(1, 40) g"
    )
    cur.execute(
        "INSERT INTO inventory_product (name, description, brand, category_id, active,"
        " created_at) SELECT 'Product ' || g, '', 'Omni',"
        " (SELECT min(id) FROM inventory_category) + g %% 40, true, now()"
        " FROM generate_series(1, %s) g",
        [n_products],
    )
    cur.execute(
        "INSERT INTO inventory_variant (product_id, sku, barcode, size, colour, attributes,"
        " price, weight_grams, active)"
        " SELECT p.id, 'SKU-' || lpad((p.id * 5 + s)::text, 8, '0'),"
        " '2' || lpad((p.id * 5 + s)::text, 12, '0'), (ARRAY['XS','S','M','L','XL'])[s + 1],"
        " 'Blue', '{}', 9.90 + (p.id % 90), 300, true"
        " FROM inventory_product p CROSS JOIN generate_series(0, 4) s"
    )


def seed_locations(cur) -> None:
    """Three warehouses and the shops (one in ten ships online orders)."""
    cur.execute(
        "INSERT INTO inventory_location (code, name, kind, address, city, postcode, country,"
        " latitude, longitude, opening_hours, phone, sells_in_store, click_and_collect,"
        " ships_online_orders, active)"
        " SELECT 'WH' || g, 'Warehouse ' || g, 'warehouse', '', 'Hub', '', 'IT',"
        " 41 + g, 9 + g, '', '', false, false, true, true FROM generate_series(1, 3) g"
    )
    cur.execute(
        "INSERT INTO inventory_location (code, name, kind, address, city, postcode, country,"
        " latitude, longitude, opening_hours, phone, sells_in_store, click_and_collect,"
        " ships_online_orders, active)"
        " SELECT 'S' || lpad(g::text, 4, '0'), 'Shop ' || g, 'shop', 'Via Roma ' || g,"
        " 'City ' || g, '', 'IT', 38 + (g %% 70) * 0.1, 8 + (g %% 90) * 0.1, '9-19', '',"
        " true, true, g %% 10 = 0, true FROM generate_series(1, %s) g",
        [N_SHOPS],
    )


def seed_stock(cur) -> None:
    """Warehouses hold everything; every shop holds the best sellers."""
    cur.execute(
        "INSERT INTO inventory_stocklevel (variant_id, location_id, on_hand, reserved,"
        " safety_stock, low_stock_threshold, updated_at)"
        " SELECT v.id, l.id, 100000, 0, 0, 3, now() FROM inventory_variant v"
        " CROSS JOIN inventory_location l WHERE l.kind = 'warehouse'"
    )
    cur.execute(
        "INSERT INTO inventory_stocklevel (variant_id, location_id, on_hand, reserved,"
        " safety_stock, low_stock_threshold, updated_at)"
        " SELECT v.id, l.id, 100000, 0, 1, 3, now()"
        " FROM (SELECT id FROM inventory_variant ORDER BY id LIMIT %s) v"
        " CROSS JOIN inventory_location l WHERE l.kind = 'shop'",
        [HOT],
    )
    cur.execute(
        "INSERT INTO inventory_stockmovement (variant_id, location_id, delta_on_hand,"
        " delta_reserved, reason, reference_type, reference_id, note, actor_id, created_at)"
        " SELECT variant_id, location_id, on_hand, 0, 'receipt', '', '', 'seed', NULL, now()"
        " FROM inventory_stocklevel"
    )


def seed_customers() -> None:
    """Customers with their email and loyalty identities, in batches of 10,000."""
    from customers.models import Customer, CustomerIdentity

    batch = 10000
    for start in range(0, N_CUSTOMERS, batch):
        rows = [
            Customer(
                first_name="Guest",
                last_name=f"N{i}",
                email=f"customer{i}@example.com",
                loyalty_number=f"9{i:011d}",
                created_channel="web" if i % 2 else "store",
            )
            for i in range(start, min(start + batch, N_CUSTOMERS))
        ]
        Customer.objects.bulk_create(rows)
        CustomerIdentity.objects.bulk_create(
            [CustomerIdentity(customer=c, kind="email", value=c.email) for c in rows]
            + [
                CustomerIdentity(customer=c, kind="loyalty", value=c.loyalty_number)
                for c in rows
            ]
        )


def seed_order_history(cur) -> None:
    """Collected pickup orders over the last 700 days, two lines each."""
    cur.execute(
        "INSERT INTO orders_order (number, customer_id, channel, placing_location_id,"
        " staff_member_id, status, fulfilment_method, currency, subtotal, discount_total,"
        " total, email, phone, idempotency_scope, idempotency_key,"
        " idempotency_fingerprint, discount_code,"
        " attributed_campaign_id, loyalty_points, created_at, updated_at, pickup_code,"
        " ready_at, pickup_expires_at, reminder_sent_at, collected_at, shipped_at,"
        " delivered_at, cancelled_at)"
        " SELECT 'OS-H' || lpad(g::text, 9, '0'), c.min + g %% %s, 'web', NULL, NULL,"
        " 'collected', 'pickup', 'EUR', 59.80, 0, 59.80, '', '', '', '', '', '', NULL, 59,"
        " now() - (g %% 700) * interval '1 day', now(), 'SEED01', now(), now(), NULL,"
        " now(), NULL, NULL, NULL"
        " FROM generate_series(1, %s) g, (SELECT min(id) FROM customers_customer) c",
        [N_CUSTOMERS, N_ORDERS],
    )
    cur.execute(
        "INSERT INTO orders_orderline (order_id, fulfilment_id, variant_id, sku, name,"
        " quantity, unit_price, discount, line_total)"
        " SELECT o.id, NULL, v.min + (o.id * 7 + s) %% %s, 'SKU', 'Seeded item', 1, 29.90,"
        " 0, 29.90 FROM orders_order o CROSS JOIN generate_series(0, 1) s,"
        " (SELECT min(id) FROM inventory_variant) v",
        [N_VARIANTS],
    )


def settle() -> None:
    """A steady-state database: hint bits set, statistics fresh, dirty pages flushed, so
    the timed runs do not race the autovacuum and checkpoint that a bulk load triggers."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("VACUUM (ANALYZE)")
        cur.execute("CHECKPOINT")


def flow_ids() -> dict:
    """The shops and best-selling variants the flows pick from."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT id FROM inventory_location WHERE kind = 'shop' ORDER BY id")
        shops = [row[0] for row in cur.fetchall()]
        cur.execute(f"SELECT id, sku FROM inventory_variant ORDER BY id LIMIT {HOT}")
        rows = cur.fetchall()
    return {"shops": shops, "hot": [r[0] for r in rows], "skus": [r[1] for r in rows]}
