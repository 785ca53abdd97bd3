"""Signing in with a cart filled before: what the customer's cart cannot take (50
different items, 99 of one) is named in ``not_merged`` on the read that shows the fold
and on the write that makes it, never dropped without a word."""

import pytest

from orders.models import Cart, CartStatus, Order
from orders.selectors.carts import MAX_LINES
from tests.factories import UserFactory
from tests.orders.factories import shop, stocked, warehouse
from tests.orders.test_api_cart import (
    anonymous_cart,
    quantities,
    read_writing_nothing,
    signed_in,
)
from tests.orders.test_api_checkout import CARD

pytestmark = pytest.mark.django_db


def add(client, pairs, **headers):
    response = client.post(
        "/api/v1/cart/lines/",
        {"lines": [{"variant": v.pk, "quantity": q} for v, q in pairs]},
        format="json",
        **headers,
    )
    assert response.status_code == 201, response.json()
    return response.json()


def test_items_past_the_carts_limit_are_named_on_the_read_and_the_fold():
    depot = warehouse()
    items = [stocked(depot, 9) for _ in range(MAX_LINES + 2)]
    signed = signed_in(UserFactory())
    add(signed, [(v, 1) for v in items[: MAX_LINES - 1]])
    phone, token = anonymous_cart()
    add(phone, [(v, 1) for v in items[MAX_LINES - 1 :]])  # three: one fits
    first, second = items[MAX_LINES], items[MAX_LINES + 1]
    expected = [
        {
            "variant": v.pk,
            "sku": v.sku,
            "name": v.name,
            "quantity": 1,
            "reason": "cart_full",
        }
        for v in (first, second)
    ]

    shown = read_writing_nothing(signed, HTTP_X_CART_TOKEN=token)
    assert len(shown["lines"]) == MAX_LINES
    assert shown["not_merged"] == expected

    line = shown["lines"][0]["id"]
    stored = signed.delete(f"/api/v1/cart/lines/{line}/", HTTP_X_CART_TOKEN=token)
    assert stored.status_code == 200, stored.json()
    assert stored.json()["not_merged"] == expected
    assert {li["variant"] for li in stored.json()["lines"]}.isdisjoint(
        {first.pk, second.pk}
    )

    # The fold is made once: the token is spent, and nothing is reported again.
    assert Cart.objects.get(token=token).status == CartStatus.MERGED
    assert phone.get("/api/v1/cart/").status_code == 404
    again = signed.get("/api/v1/cart/", HTTP_X_CART_TOKEN=token).json()
    assert again["not_merged"] == []
    assert len(again["lines"]) == MAX_LINES - 1


def test_units_past_a_lines_limit_are_named_with_how_many():
    depot = warehouse()
    item, other = stocked(depot, 200), stocked(depot, 9)
    signed = signed_in(UserFactory())
    add(signed, [(item, 50)])
    phone, token = anonymous_cart()
    add(phone, [(item, 60), (other, 2)])

    folded = add(signed, [(other, 1)], HTTP_X_CART_TOKEN=token)

    assert quantities(folded["lines"]) == [(item.pk, 99), (other.pk, 3)]
    assert [
        (x["variant"], x["quantity"], x["reason"]) for x in folded["not_merged"]
    ] == [(item.pk, 11, "line_full")]


def test_a_fold_that_fits_and_a_cart_without_one_report_nothing():
    depot = warehouse()
    item = stocked(depot, 9)
    signed = signed_in(UserFactory())
    phone, token = anonymous_cart()
    add(phone, [(item, 2)])
    assert phone.get("/api/v1/cart/").json()["not_merged"] == []
    assert read_writing_nothing(signed, HTTP_X_CART_TOKEN=token)["not_merged"] == []
    assert add(signed, [(item, 1)], HTTP_X_CART_TOKEN=token)["not_merged"] == []
    assert signed.get("/api/v1/cart/").json()["not_merged"] == []


def test_the_schema_documents_what_a_fold_left_out(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    cart = schema["components"]["schemas"]["CartOutput"]
    assert "not_merged" in cart["required"]
    assert "leaves out" in cart["properties"]["not_merged"]["description"]
    left = schema["components"]["schemas"]["NotMergedOutput"]["properties"]
    assert set(left) == {"variant", "sku", "name", "quantity", "reason"}


def test_a_checkout_that_folds_and_leaves_items_out_buys_nothing_and_says_what():
    store = shop()
    item, other = stocked(store, 200), stocked(store, 9)
    signed = signed_in(UserFactory())
    add(signed, [(item, 50)])
    phone, token = anonymous_cart()
    add(phone, [(item, 60), (other, 2)])
    body = {"fulfilment": "pickup", "store": store.pk, "payment": CARD}

    refused = signed.post(
        "/api/v1/checkout/", body, format="json", HTTP_X_CART_TOKEN=token
    )

    assert refused.status_code == 409, refused.json()
    assert refused.json()["code"] == "cart_not_merged"
    assert [
        (x["variant"], x["quantity"], x["reason"])
        for x in refused.json()["extra"]["not_merged"]
    ] == [(item.pk, 11, "line_full")]
    assert not Order.objects.exists()
    # The cart now holds what fits: checking it out again buys exactly that.
    placed = signed.post(
        "/api/v1/checkout/", body, format="json", HTTP_X_CART_TOKEN=token
    )
    assert placed.status_code == 201, placed.json()
    assert sorted(
        (line["sku"], line["quantity"]) for line in placed.json()["lines"]
    ) == sorted([(item.sku, 99), (other.sku, 2)])
