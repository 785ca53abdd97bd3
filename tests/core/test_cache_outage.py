"""The shared cache down or hung: the storefront keeps answering, the limits on
guessing (sign-in, gift card PINs) refuse with a 503 instead of counting nothing, and
a hung Redis is asked once per pause, not once per request."""

import shutil
import socket
import subprocess
import time

import pytest
from django.conf import settings
from django.test import override_settings
from rest_framework.test import APIClient
from rest_framework.views import APIView

from omnistore.core.cache import unavailable
from omnistore.core.exceptions import ServiceUnavailable
from omnistore.core.throttling import CallerRateThrottle
from orders.services.giftcard_pins import authenticate_card
from tests.factories import ProductFactory
from tests.fakes.redis_faults import (
    HungServer,
    closed_redis_url,
    free_port,
    shared_cache,
)

pytestmark = pytest.mark.django_db

SIGN_IN = "/api/v1/auth/token/"
BALANCE = "/api/v1/gift-cards/balance/"


@pytest.fixture(autouse=True)
def throttled(monkeypatch):
    """Every API view rate-limited by the caller, as under the production settings
    (the test settings leave the default limit out; DRF reads it at import)."""
    monkeypatch.setattr(APIView, "throttle_classes", [CallerRateThrottle])


@pytest.fixture
def cache_down():
    with override_settings(CACHES=shared_cache(closed_redis_url())):
        yield


@pytest.fixture
def hung():
    server = HungServer()
    with override_settings(CACHES=shared_cache(server.url)):
        yield server
    server.close()


def test_the_storefront_answers_while_the_cache_is_down(cache_down):
    ProductFactory(name="Linen shirt")
    client = APIClient()

    listing = client.get("/api/v1/products/")
    cart = client.post("/api/v1/cart/", {}, format="json")

    assert listing.status_code == 200, listing.content
    assert [p["name"] for p in listing.json()["results"]] == ["Linen shirt"]
    assert cart.status_code == 201, cart.content
    assert unavailable()


def test_sign_in_is_refused_with_a_503_when_attempts_cannot_be_counted(cache_down):
    response = APIClient().post(
        SIGN_IN, {"email": "ada@example.com", "password": "x"}, format="json"
    )

    assert response.status_code == 503
    assert response["Retry-After"] == "1"
    assert response.json()["code"] == "temporarily_unavailable"


def test_no_gift_card_pin_is_tried_without_the_cache(cache_down):
    card_number = "6006491234567890"

    with pytest.raises(ServiceUnavailable, match="Gift cards cannot be checked"):
        authenticate_card(number=card_number, pin="1234")  # the till's check too
    response = APIClient().post(
        BALANCE, {"number": card_number, "pin": "1234"}, format="json"
    )

    assert response.status_code == 503
    assert response.json()["code"] == "temporarily_unavailable"


def test_a_hung_cache_is_asked_once_per_pause_not_once_per_request(hung):
    client = APIClient()

    statuses = [client.get("/api/v1/products/").status_code for _ in range(10)]

    assert statuses == [200] * 10
    assert len(hung.accepted) == 1  # the first request's call; the rest skip it
    assert unavailable()


needs_redis = pytest.mark.skipif(
    not shutil.which("redis-server"),
    reason="needs redis-server (`make test` installs it through .ci/system-deps.sh)",
)


def start_redis(port: int, directory) -> subprocess.Popen:
    server = subprocess.Popen(
        ["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--save", ""]
        + ["--appendonly", "no", "--dir", str(directory)],
        stdout=subprocess.DEVNULL,
    )
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return server
        except OSError:
            time.sleep(0.05)
    raise AssertionError("redis-server did not start")


def sign_in_statuses(tries: int) -> list[int]:
    client = APIClient()
    return [
        client.post(
            SIGN_IN, {"email": "ada@example.com", "password": "x"}, format="json"
        ).status_code
        for _ in range(tries)
    ]


@needs_redis
def test_the_limits_count_again_once_redis_is_back(tmp_path):
    port = free_port()
    rates = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"sign_in": "3/minute"},
    }
    server = start_redis(port, tmp_path)
    try:
        with override_settings(
            CACHES=shared_cache(f"redis://127.0.0.1:{port}/0"),
            REST_FRAMEWORK=rates,
            OMNISTORE_CACHE_PAUSE=0.3,
        ):
            assert sign_in_statuses(4) == [400, 400, 400, 429]
            server.terminate()
            server.wait(timeout=10)
            assert sign_in_statuses(2) == [503, 503]

            server = start_redis(port, tmp_path)
            time.sleep(0.4)  # the pause runs out: the next call asks Redis again
            assert sign_in_statuses(4) == [400, 400, 400, 429]
            assert not unavailable()
    finally:
        server.terminate()
        server.wait(timeout=10)
