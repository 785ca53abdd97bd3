"""The single requests the benchmark measures beside the flow, each a maker of
(method, path, body, headers, expected status) from a random generator."""

from __future__ import annotations

import uuid

from checkout_flow import flow_requests


def floor(data):
    """The floor: one guarded UPDATE and one INSERT behind Django (bench URLs only)."""

    def make(rng):
        variant, shop = rng.choice(data["hot"]), rng.choice(data["shops"])
        path = f"/bench/floor/?variant={variant}&location={shop}"
        return "POST", path, None, {}, 201

    return make


def buy_now(data):
    """Buy now with the realistic mix: the two lines in the checkout's body."""

    def make(rng):
        lines, checkout = flow_requests(data, rng, realistic=True)
        headers = {"Idempotency-Key": str(uuid.UUID(int=rng.getrandbits(128)))}
        return "POST", "/api/v1/checkout/buy-now/", {**checkout, **lines}, headers, 201

    return make


def availability(product: int, variant: int):
    """One SKU's availability in every shop, nearest a point first."""
    path = (
        f"/api/v1/products/{product}/availability/?variant={variant}&lat=45.46&lng=9.19"
    )

    def make(rng):
        return "GET", path, None, {}, 200

    return make


def stock_lookup(data, session: str):
    """An associate's live stock search by SKU (the HTMX partial: this shop's and
    the other shops' units)."""
    headers = {"Cookie": f"sessionid={session}", "HX-Request": "true"}

    def make(rng):
        sku = rng.choice(data["skus"])
        return "GET", f"/staff/stock/?q={sku}", None, headers, 200

    return make
