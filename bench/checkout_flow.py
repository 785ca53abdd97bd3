"""One storefront purchase (new cart, add two lines, checkout), and the SQL statements
and commits each of its requests costs."""

from __future__ import annotations

import random
import uuid

from checkout_config import DELIVERY_SHARE, N_CUSTOMERS, NEW_GUEST_SHARE
from sqlcount import Counter

ADDRESS = {"line1": "Via Torino 1", "city": "Milano", "postcode": "20123"}


def flow_requests(data, rng: random.Random, realistic: bool = False):
    """The three storefront requests of one purchase (bodies and headers). The
    friendly flow: a returning customer collecting at a shop. The realistic one:
    NEW_GUEST_SHARE of buyers new (an email no profile has), DELIVERY_SHARE of
    orders delivered to an address, the rest collected."""
    a, b = rng.sample(data["hot"], 2)
    shop = rng.choice(data["shops"])
    email = f"customer{rng.randrange(N_CUSTOMERS)}@example.com"
    if realistic and rng.random() < NEW_GUEST_SHARE:
        email = f"guest-{uuid.UUID(int=rng.getrandbits(128)).hex}@example.com"
    lines = {"lines": [{"variant": a, "quantity": 1}, {"variant": b, "quantity": 1}]}
    checkout = {
        "fulfilment": "pickup",
        "store": shop,
        "email": email,
        "payment": {"method": "card_online", "token": "tok_visa"},
    }
    if realistic and rng.random() < DELIVERY_SHARE:
        del checkout["store"]
        checkout.update(fulfilment="delivery", address=ADDRESS)
    return lines, checkout


def count_statements(data, realistic: bool = False) -> dict:
    """Statements and commits per request of one flow, served in this process: the
    friendly one, or (``realistic``) a new guest's delivered order."""
    from django.test import Client

    rng = random.Random(7)
    client = Client()
    counts = {}
    for _ in range(3):  # warm caches; the last run is the one reported
        lines, checkout = flow_requests(data, rng)
        if realistic:
            del checkout["store"]
            checkout.update(
                fulfilment="delivery",
                address=ADDRESS,
                email=f"guest-{uuid.uuid4().hex}@example.com",
            )
        r = _counted_post(counts, "new cart", client, "/api/v1/cart/")
        token = r.json()["token"]
        r = _counted_post(
            counts,
            "add 2 lines",
            client,
            "/api/v1/cart/lines/",
            lines,
            HTTP_X_CART_TOKEN=token,
        )
        assert r.status_code == 201, r.content
        r = _counted_post(
            counts,
            "checkout",
            client,
            "/api/v1/checkout/",
            checkout,
            HTTP_X_CART_TOKEN=token,
            HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
        )
        assert r.status_code == 201, r.content
    return counts


def _counted_post(counts: dict, name: str, client, path: str, body=None, **headers):
    """A JSON POST whose statements and commits are kept in ``counts[name]``."""
    with Counter() as c:
        r = client.post(path, body, content_type="application/json", **headers)
    counts[name] = (c.statements, c.commits)
    return r
