"""The shared cache (its own Redis) killed, then frozen: the storefront keeps taking
orders, the sign-in limit refuses with a JSON 503 instead of counting nothing, and
everything counts again once Redis is back."""

import time

import pytest

from orders.models import Order
from tests.faults.shop import buy, call, stocked_warehouse

pytestmark = [pytest.mark.faults, pytest.mark.postgres]
ORDERS = 6
PAUSE = 1.0  # OMNISTORE_CACHE_PAUSE: seconds a web worker leaves a failed cache alone


def sign_in(stack):
    return call(
        stack.url("/api/v1/auth/token/"),
        {"email": "ada@example.com", "password": "not-her-password"},
    )


def orders(stack, fake_stripe, item, prefix: str) -> list:
    return [
        buy(stack, fake_stripe, item, f"{prefix}{n}@example.com") for n in range(ORDERS)
    ]


def test_the_storefront_sells_through_a_cache_outage(stack, cache_redis, fake_stripe):
    stack.env["OMNISTORE_CACHE_PAUSE"] = str(PAUSE)
    _, item = stocked_warehouse()
    stack.web(workers=2)
    assert buy(stack, fake_stripe, item, "warm@example.com").status == 201
    assert sign_in(stack).status == 400  # wrong password, counted

    cache_redis.kill()
    killed = orders(stack, fake_stripe, item, "killed")
    refused = sign_in(stack)

    cache_redis.start()
    time.sleep(PAUSE + 0.5)  # each worker's pause runs out
    cache_redis.pause()
    try:
        frozen = orders(stack, fake_stripe, item, "frozen")
        refused_frozen = sign_in(stack)
    finally:
        cache_redis.resume()
    time.sleep(PAUSE + 0.5)
    after = [sign_in(stack).status for _ in range(4)]

    print(
        f"\nFAULT cache: Redis of the cache killed: {ORDERS} checkouts answered "
        + ", ".join(str(a.status) for a in killed)
        + f", sign-in {refused.status}; frozen: "
        + ", ".join(f"{a.status} in {a.seconds:.2f} s" for a in frozen)
        + f", sign-in {refused_frozen.status}; back: sign-in {after}; "
        f"orders {Order.objects.count()}"
    )
    assert [a.status for a in killed] == [201] * ORDERS
    assert [a.status for a in frozen] == [201] * ORDERS
    assert Order.objects.count() == 1 + 2 * ORDERS
    for answer in (refused, refused_frozen):
        assert answer.status == 503, answer.body
        assert answer.body["code"] == "temporarily_unavailable"
        assert answer.headers.get("Retry-After") == "1"
    assert after == [400] * 4  # counted again (the limit is 20 a minute)
