"""Storefront catalog, availability and store locator through the public API."""

from decimal import Decimal

import pytest

from inventory import selectors
from inventory.models import StockLevel
from inventory.services.ledger import StockRequest
from inventory.services.reservations import reserve_stock
from tests.factories import (
    CategoryFactory,
    LocationFactory,
    ProductFactory,
    VariantFactory,
    WarehouseFactory,
    stock,
)

pytestmark = pytest.mark.django_db

PRODUCTS = "/api/v1/products/"
STORES = "/api/v1/stores/"

# Milano Duomo, and shops at known distances from it.
MILANO = (45.4642, 9.1900)


def shop(code, name, lat, lng, **kwargs):
    return LocationFactory(
        code=code,
        name=name,
        latitude=Decimal(str(lat)),
        longitude=Decimal(str(lng)),
        **kwargs,
    )


@pytest.fixture
def shops():
    return {
        "roma": shop("ROMA", "Roma Corso", 41.9028, 12.4964, city="Roma"),
        "milano": shop("MILANO", "Milano Duomo", 45.4650, 9.1890, city="Milano"),
        "torino": shop(
            "TORINO",
            "Torino Centro",
            45.0703,
            7.6869,
            city="Torino",
            click_and_collect=False,
        ),
    }


def results(response):
    assert response.status_code == 200, response.content
    return response.json()["results"]


# --- product list and detail -------------------------------------------------------


def test_product_list_shows_active_products_with_variants_prices_and_online_stock(
    api_client, settings
):
    settings.OMNISTORE_CURRENCY = "CHF"
    parent = CategoryFactory(slug="men", name="Men")
    category = CategoryFactory(slug="men-shirts", name="Shirts", parent=parent)
    product = ProductFactory(name="Oxford shirt", brand="Omni", category=category)
    blue = VariantFactory(product=product, sku="OX-BLU-M", barcode="8000000000011")
    white = VariantFactory(
        product=product,
        sku="OX-WHT-M",
        barcode=None,
        colour="White",
        price=Decimal("59"),
    )
    VariantFactory(product=product, sku="OX-OLD", active=False)
    ProductFactory(name="Retired shirt", active=False, category=category)

    warehouse = WarehouseFactory()
    stock(blue, warehouse, 10)
    StockLevel.objects.filter(variant=blue, location=warehouse).update(safety_stock=2)
    reserve_stock(
        requests=[StockRequest(blue.pk, warehouse.pk, 3)],
        reference_type="order",
        reference_id="1",
    )
    stock(white, LocationFactory(ships_online_orders=False), 7)  # a shop: not online

    body = results(api_client.get(PRODUCTS))

    assert body == [
        {
            "id": product.pk,
            "name": "Oxford shirt",
            "brand": "Omni",
            "description": "",
            "category": {"slug": "men-shirts", "name": "Shirts"},
            "images": [],
            "variants": [
                {
                    "id": blue.pk,
                    "sku": "OX-BLU-M",
                    "barcode": "8000000000011",
                    "size": "M",
                    "colour": "Blue",
                    "price": "49.90",
                    "currency": "CHF",
                    "online_available": 5,  # 10 on hand - 3 reserved - 2 safety stock
                    "images": [],
                },
                {
                    "id": white.pk,
                    "sku": "OX-WHT-M",
                    "barcode": None,
                    "size": "M",
                    "colour": "White",
                    "price": "59.00",
                    "currency": "CHF",
                    "online_available": 0,
                    "images": [],
                },
            ],
        }
    ]


def test_product_list_is_open_to_anonymous_clients_and_paginated(api_client):
    ProductFactory.create_batch(3)

    response = api_client.get(PRODUCTS, {"page_size": 2})

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    assert len(body["results"]) == 2
    assert body["next"] is not None
    assert len(results(api_client.get(PRODUCTS, {"page_size": 2, "page": 2}))) == 1


def test_category_filter_includes_child_categories_only(api_client):
    women = CategoryFactory(slug="women")
    dresses = CategoryFactory(slug="women-dresses", parent=women)
    men = CategoryFactory(slug="men")
    coat = ProductFactory(name="Wool coat", category=women)
    dress = ProductFactory(name="Summer dress", category=dresses)
    ProductFactory(name="Chinos", category=men)

    names = [
        p["name"] for p in results(api_client.get(PRODUCTS, {"category": "women"}))
    ]
    assert names == ["Summer dress", "Wool coat"]
    only_dresses = results(api_client.get(PRODUCTS, {"category": "women-dresses"}))
    assert [p["id"] for p in only_dresses] == [dress.pk]
    assert results(api_client.get(PRODUCTS, {"category": "unknown"})) == []
    assert coat.pk not in [p["id"] for p in only_dresses]


@pytest.mark.parametrize(
    "q", ["linen", "LINEN", "LIN-42-M", "lin-42", "8012345678901"], ids=str
)
def test_search_finds_products_by_name_sku_prefix_and_barcode(api_client, q):
    linen = ProductFactory(name="Linen trousers")
    VariantFactory(product=linen, sku="LIN-42-M", barcode="8012345678901")
    other = ProductFactory(name="Cotton socks")
    VariantFactory(product=other, sku="SOCK-1", barcode="8099999999999")

    assert [p["id"] for p in results(api_client.get(PRODUCTS, {"q": q}))] == [linen.pk]


@pytest.mark.parametrize(
    "q", ["trousers linen", "Riviera", "riviera sand", "linen 42"], ids=str
)
def test_several_words_in_any_order_each_narrow_the_search(api_client, q):
    """Words name the product, its brand, or an item's colour or size, in any order;
    every word must match (a word nothing matches finds nothing)."""
    linen = ProductFactory(name="Linen trousers", brand="Riviera Atelier")
    VariantFactory(product=linen, sku="LIN-42-S", colour="Sand", size="42")
    other = ProductFactory(name="Linen shirt", brand="Portofino")
    VariantFactory(product=other, sku="LSH-M-W", colour="White", size="M")

    found = [p["id"] for p in results(api_client.get(PRODUCTS, {"q": q}))]

    assert found == [linen.pk]
    assert results(api_client.get(PRODUCTS, {"q": f"{q} cashmere"})) == []


def test_search_without_match_returns_an_empty_page(api_client):
    VariantFactory(product=ProductFactory(name="Cotton socks"))

    assert results(api_client.get(PRODUCTS, {"q": "cashmere"})) == []


def test_product_detail_has_the_list_shape(api_client):
    variant = VariantFactory()
    stock(variant, WarehouseFactory(), 4)

    response = api_client.get(f"{PRODUCTS}{variant.product_id}/")

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == variant.product_id
    assert body["variants"][0]["sku"] == variant.sku
    assert body["variants"][0]["online_available"] == 4
    assert body["category"]["slug"] == variant.product.category.slug


def test_unknown_or_inactive_product_is_404(api_client):
    retired = ProductFactory(active=False)

    assert api_client.get(f"{PRODUCTS}{retired.pk}/").status_code == 404
    missing = api_client.get(f"{PRODUCTS}999999/")
    assert missing.status_code == 404
    assert api_client.get(f"{PRODUCTS}{retired.pk}/availability/").status_code == 404


def _catalog(n, warehouse, shop_location):
    for i in range(n):
        product = ProductFactory(name=f"Product {i:03d}")
        for size in ("S", "L"):
            variant = VariantFactory(product=product, size=size)
            stock(variant, warehouse, 5)
            stock(variant, shop_location, 2)


@pytest.mark.parametrize("n", [3, 30])
def test_product_list_uses_a_fixed_number_of_queries(
    api_client, django_assert_max_num_queries, n
):
    """Count, page, variants, images and online stock: five queries at any page
    length."""
    _catalog(n, WarehouseFactory(), LocationFactory())

    with django_assert_max_num_queries(5):
        response = api_client.get(PRODUCTS, {"page_size": 100})

    assert len(results(response)) == n
    assert all(
        v["online_available"] == 5 for p in results(response) for v in p["variants"]
    )


# --- availability ------------------------------------------------------------------


def test_availability_lists_nearest_shops_first_with_units_and_click_and_collect(
    api_client, shops
):
    product = ProductFactory()
    small = VariantFactory(product=product, sku="TEE-S", size="S")
    large = VariantFactory(product=product, sku="TEE-L", size="L")
    stock(small, shops["milano"], 4)
    stock(small, shops["roma"], 1)
    reserve_stock(
        requests=[StockRequest(small.pk, shops["milano"].pk, 1)],
        reference_type="order",
        reference_id="7",
    )
    stock(large, WarehouseFactory(), 9)
    shop("CLOSED", "Closed shop", 45.4642, 9.19, active=False)

    response = api_client.get(
        f"{PRODUCTS}{product.pk}/availability/", {"lat": MILANO[0], "lng": MILANO[1]}
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["product_id"] == product.pk
    by_sku = {v["sku"]: v for v in body["variants"]}
    assert set(by_sku) == {"TEE-S", "TEE-L"}
    assert by_sku["TEE-L"]["online_available"] == 9
    assert by_sku["TEE-S"]["online_available"] == 0
    stores = by_sku["TEE-S"]["stores"]
    assert [s["code"] for s in stores] == ["MILANO", "TORINO", "ROMA"]
    assert [s["available"] for s in stores] == [3, 0, 1]
    assert [s["click_and_collect"] for s in stores] == [True, False, True]
    assert stores[0]["distance_km"] < 1
    assert 120 < stores[1]["distance_km"] < 130
    assert 470 < stores[2]["distance_km"] < 485
    assert stores[0] == {
        "id": shops["milano"].pk,
        "code": "MILANO",
        "name": "Milano Duomo",
        "city": "Milano",
        "distance_km": stores[0]["distance_km"],
        "available": 3,
        "click_and_collect": True,
    }
    assert [s["available"] for s in by_sku["TEE-L"]["stores"]] == [0, 0, 0]


def test_availability_without_a_point_lists_shops_by_name_without_distance(
    api_client, shops
):
    variant = VariantFactory()

    response = api_client.get(f"{PRODUCTS}{variant.product_id}/availability/")

    stores = response.json()["variants"][0]["stores"]
    assert [s["name"] for s in stores] == [
        "Milano Duomo",
        "Roma Corso",
        "Torino Centro",
    ]
    assert {s["distance_km"] for s in stores} == {None}


def test_availability_can_be_asked_for_one_variant(api_client, shops):
    product = ProductFactory()
    VariantFactory(product=product)
    wanted = VariantFactory(product=product)
    stranger = VariantFactory()

    response = api_client.get(
        f"{PRODUCTS}{product.pk}/availability/", {"variant": wanted.pk}
    )
    assert [v["id"] for v in response.json()["variants"]] == [wanted.pk]

    response = api_client.get(
        f"{PRODUCTS}{product.pk}/availability/", {"variant": stranger.pk}
    )
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"lat": "north", "lng": "9.19"}, "lat"),
        ({"lat": "45.4", "lng": "east"}, "lng"),
        ({"lat": "91", "lng": "9.19"}, "lat"),
        ({"lat": "45.4", "lng": "-180.5"}, "lng"),
        ({"lat": "nan", "lng": "9.19"}, "lat"),
        ({"lat": "45.4"}, "lng"),
        ({"lng": "9.19"}, "lat"),
        ({"variant": "abc"}, "variant"),
        ({"lat": ""}, "lat"),
        ({"lat": "", "lng": ""}, "lng"),
        ({"variant": ""}, "variant"),
    ],
)
def test_availability_refuses_a_bad_point_with_field_errors(api_client, params, field):
    variant = VariantFactory()

    response = api_client.get(f"{PRODUCTS}{variant.product_id}/availability/", params)

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert field in body["extra"]


@pytest.mark.parametrize("n_variants", [2, 8])
def test_availability_uses_a_fixed_number_of_queries(
    api_client, shops, django_assert_max_num_queries, n_variants
):
    """Product, variants, online stock, nearest shops, their levels: five queries."""
    product = ProductFactory()
    for variant in VariantFactory.create_batch(n_variants, product=product):
        for location in shops.values():
            stock(variant, location, 3)

    with django_assert_max_num_queries(5):
        response = api_client.get(
            f"{PRODUCTS}{product.pk}/availability/", {"lat": "45.46", "lng": "9.19"}
        )

    variants = response.json()["variants"]
    assert len(variants) == n_variants
    assert all(s["available"] == 3 for v in variants for s in v["stores"])


def test_availability_agrees_with_the_single_variant_selector(api_client, shops):
    product = ProductFactory()
    variants = VariantFactory.create_batch(3, product=product)
    for i, variant in enumerate(variants):
        stock(variant, shops["roma"], i + 1)
        stock(variant, shops["torino"], 5 - i)

    body = api_client.get(
        f"{PRODUCTS}{product.pk}/availability/", {"lat": "44", "lng": "10"}
    ).json()

    for row in body["variants"]:
        variant = next(v for v in variants if v.pk == row["id"])
        expected = selectors.stores_with_availability(
            variant=variant, lat=44.0, lng=10.0
        )
        assert [(s["id"], s["available"], s["distance_km"]) for s in row["stores"]] == [
            (a.location.pk, a.available, a.distance_km) for a in expected
        ]


# --- store locator -----------------------------------------------------------------


def test_store_locator_lists_active_shops_nearest_first_with_details(api_client, shops):
    WarehouseFactory(code="WH-NEAR", latitude=Decimal("45.4642"))
    shop("CLOSED", "Closed shop", 45.4642, 9.19, active=False)
    milano = shops["milano"]
    milano.opening_hours = "Mon-Sat 10-20"
    milano.postcode = "20121"
    milano.save()

    body = results(api_client.get(STORES, {"lat": MILANO[0], "lng": MILANO[1]}))

    assert [s["code"] for s in body] == ["MILANO", "TORINO", "ROMA"]
    first = body[0]
    assert first == {
        "id": milano.pk,
        "code": "MILANO",
        "name": "Milano Duomo",
        "address": milano.address,
        "city": "Milano",
        "postcode": "20121",
        "country": "IT",
        "latitude": 45.465,  # numbers, as a map takes them
        "longitude": 9.189,
        "phone": "",
        "opening_hours": "Mon-Sat 10-20",
        "sells_in_store": True,
        "click_and_collect": True,
        "ships_online_orders": False,
        "distance_km": first["distance_km"],
    }
    assert first["distance_km"] < 1
    assert body[1]["distance_km"] < body[2]["distance_km"]
    assert body[1]["click_and_collect"] is False


def test_store_locator_from_rome_puts_rome_first(api_client, shops):
    body = results(api_client.get(STORES, {"lat": "41.89", "lng": "12.49"}))

    assert [s["code"] for s in body] == ["ROMA", "MILANO", "TORINO"]


def test_store_locator_without_a_point_lists_by_name(api_client, shops):
    body = results(api_client.get(STORES))

    assert [s["name"] for s in body] == ["Milano Duomo", "Roma Corso", "Torino Centro"]
    assert {s["distance_km"] for s in body} == {None}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"lat": "x", "lng": "1"}, "lat"),
        ({"lat": "-95", "lng": "1"}, "lat"),
        ({"lat": "1"}, "lng"),
        ({"lat": "", "lng": "9"}, "lat"),
    ],
)
def test_store_locator_refuses_a_bad_point(api_client, params, field):
    response = api_client.get(STORES, params)

    assert response.status_code == 400
    assert field in response.json()["extra"]


@pytest.mark.parametrize("n", [3, 30])
def test_store_locator_uses_a_fixed_number_of_queries(
    api_client, django_assert_max_num_queries, n
):
    for i in range(n):
        shop(f"S{i:03d}", f"Shop {i:03d}", 45 + i / 100, 9 + i / 100)

    with django_assert_max_num_queries(2):
        body = results(
            api_client.get(STORES, {"lat": "45", "lng": "9", "page_size": 100})
        )

    assert len(body) == n
    assert body[0]["code"] == "S000"


# --- schema ------------------------------------------------------------------------


def test_schema_documents_the_catalog_query_parameters(api_client):
    response = api_client.get("/api/schema/", {"format": "json"})

    assert response.status_code == 200
    paths = response.json()["paths"]

    def params(path):
        return {p["name"] for p in paths[path]["get"]["parameters"]}

    assert {"q", "category", "page", "page_size"} <= params("/api/v1/products/")
    assert {"id", "lat", "lng", "variant"} <= params(
        "/api/v1/products/{id}/availability/"
    )
    assert {"lat", "lng"} <= params("/api/v1/stores/")
    assert "400" in paths["/api/v1/products/{id}/availability/"]["get"]["responses"]


def test_online_availability_lists_every_asked_variant_even_from_a_generator():
    stocked, empty = VariantFactory(), VariantFactory()
    stock(stocked, WarehouseFactory(), 2)

    online = selectors.online_available(variant_ids=(v.pk for v in (stocked, empty)))

    assert online == {stocked.pk: 2, empty.pk: 0}
