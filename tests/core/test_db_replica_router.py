"""Reads on the replica, where a stale moment is harmless; everything else on the
primary. The replica alias mirrors the test database (committed rows: these tests
run outside a transaction), so what is proved here is where each query goes: catalog
listings on the replica, a client that just wrote and the customer's own orders on
the primary, and a replica that cannot be reached replaced by the primary."""

import socket

import pytest
from django.db import connections, router, transaction
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token

from inventory.models import Product
from omnistore.core.replica import PIN_COOKIE
from tests.factories import LocationFactory, ProductFactory, UserFactory, VariantFactory
from tests.fakes.redis_faults import closed_redis_url, shared_cache

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "replica"])

PRODUCTS = "/api/v1/products/"


@pytest.fixture
def replica(settings):
    settings.OMNISTORE_READ_REPLICA = "replica"
    return "replica"


@pytest.fixture
def catalog():
    LocationFactory()
    product = ProductFactory(name="Linen shirt")
    VariantFactory(product=product)
    return product


def queries(alias, request):
    """Run ``request``; the response and the queries it sent to ``alias``."""
    with CaptureQueriesContext(connections[alias]) as captured:
        response = request()
    return response, len(captured.captured_queries)


def test_catalog_listings_read_from_the_replica(api_client, replica, catalog):
    response, on_replica = queries(replica, lambda: api_client.get(PRODUCTS))
    assert response.status_code == 200
    assert [p["name"] for p in response.json()["results"]] == ["Linen shirt"]
    assert on_replica > 0
    response, on_replica = queries(
        replica, lambda: api_client.get(f"{PRODUCTS}{catalog.pk}/availability/")
    )
    assert response.status_code == 200
    assert on_replica > 0


def test_a_customers_own_orders_are_read_from_the_primary(api_client, replica):
    customer = UserFactory()
    api_client.force_authenticate(customer)
    response, on_replica = queries(replica, lambda: api_client.get("/api/v1/orders/"))
    assert response.status_code == 200
    assert on_replica == 0


def test_a_client_that_wrote_reads_from_the_primary(api_client, replica, catalog):
    started = api_client.post("/api/v1/cart/")
    assert started.status_code in (200, 201)
    assert PIN_COOKIE in started.cookies
    response, on_replica = queries(replica, lambda: api_client.get(PRODUCTS))
    assert response.status_code == 200
    assert on_replica == 0


def test_a_token_client_that_wrote_reads_from_the_primary(api_client, replica, catalog):
    """A token client may keep no cookies: the pin is kept per user in the cache."""
    token = Token.objects.create(user=UserFactory())
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api_client.post("/api/v1/cart/").status_code in (200, 201)
    api_client.cookies.clear()
    response, on_replica = queries(replica, lambda: api_client.get(PRODUCTS))
    assert response.status_code == 200
    assert on_replica == 0


def test_a_token_client_reads_from_the_primary_while_the_cache_is_down(
    api_client, replica, catalog, settings
):
    """Whether it just wrote is kept in the cache: unknown, so the primary."""
    settings.CACHES = shared_cache(closed_redis_url())
    token = Token.objects.create(user=UserFactory())
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    response, on_replica = queries(replica, lambda: api_client.get(PRODUCTS))
    assert response.status_code == 200
    assert on_replica == 0


def test_a_segment_preview_does_not_pin_its_client(api_client, replica):
    manager = UserFactory(role="hq")
    api_client.force_authenticate(manager)
    rules = {"rules": {"field": "channels_used", "op": "eq", "value": "online_only"}}
    response, on_replica = queries(
        replica,
        lambda: api_client.post(
            "/api/v1/campaigns/segments/preview/", rules, format="json"
        ),
    )
    assert response.status_code == 200, response.content
    assert response.json()["count"] == 0
    assert on_replica > 0
    assert PIN_COOKIE not in response.cookies


def test_without_a_replica_nothing_is_pinned(api_client, catalog):
    started = api_client.post("/api/v1/cart/")
    assert started.status_code in (200, 201)
    assert PIN_COOKIE not in started.cookies
    response, on_replica = queries("replica", lambda: api_client.get(PRODUCTS))
    assert response.status_code == 200
    assert on_replica == 0


def test_writes_migrations_and_transactions_stay_on_the_primary(replica):
    assert router.db_for_write(Product) == "default"
    assert router.allow_migrate("replica", "inventory") is False
    assert router.allow_migrate("default", "inventory") is not False
    with transaction.atomic():
        assert router.db_for_read(Product) == "default"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def unreachable_replica(replica, settings):
    """The replica alias pointed at nothing: a database file in a missing folder, or
    a PostgreSQL port nobody listens on."""
    settings.OMNISTORE_REPLICA_RETRY_SECONDS = 0  # try it again on the next request
    conn = connections[replica]
    saved = dict(conn.settings_dict)
    conn.close()
    if conn.vendor == "sqlite":
        conn.settings_dict["NAME"] = "/nonexistent/omnistore/replica.sqlite3"
    else:
        conn.settings_dict["PORT"] = str(_closed_port())
    yield replica
    conn.close()
    conn.settings_dict.clear()
    conn.settings_dict.update(saved)


def test_reads_fall_back_to_the_primary_when_the_replica_is_down(
    api_client, unreachable_replica, catalog
):
    response = api_client.get(PRODUCTS)
    assert response.status_code == 200
    assert [p["name"] for p in response.json()["results"]] == ["Linen shirt"]
    response = api_client.get(f"{PRODUCTS}{catalog.pk}/availability/")
    assert response.status_code == 200
