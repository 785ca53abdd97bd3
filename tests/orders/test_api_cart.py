"""The storefront cart: anonymous by token, persistent per customer, validated lines."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from orders.models import Cart, CartLine, CartStatus
from tests.factories import UserFactory, stock
from tests.orders.factories import shop, stocked, warehouse

pytestmark = pytest.mark.django_db


def anonymous_cart():
    client = APIClient()
    token = client.post("/api/v1/cart/").json()["token"]
    client.credentials(HTTP_X_CART_TOKEN=token)
    return client, token


def test_lines_add_up_and_can_be_changed_and_removed():
    depot = warehouse()
    item = stocked(depot, 10, price="12.00")
    client, _ = anonymous_cart()
    client.post(
        "/api/v1/cart/lines/", {"variant": item.pk, "quantity": 2}, format="json"
    )
    body = client.post(
        "/api/v1/cart/lines/", {"variant": item.pk, "quantity": 3}, format="json"
    ).json()
    assert [(line["quantity"], line["line_total"]) for line in body["lines"]] == [
        (5, "60.00")
    ]
    line_id = body["lines"][0]["id"]
    changed = client.patch(
        f"/api/v1/cart/lines/{line_id}/", {"quantity": 1}, format="json"
    )
    assert changed.json()["subtotal"] == "12.00"
    removed = client.delete(f"/api/v1/cart/lines/{line_id}/")
    assert removed.status_code == 200 and removed.json()["lines"] == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"variant": 999999, "quantity": 1}, "variant"),
        ({"quantity": 1}, "variant"),
        ({"variant": "x"}, "variant"),
        ({"lines": [{"variant": 1, "quantity": 0}]}, "lines"),
        ({"lines": []}, "lines"),
    ],
)
def test_bad_lines_are_refused_with_field_errors(body, field):
    client, _ = anonymous_cart()
    response = client.post("/api/v1/cart/lines/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["extra"]
    assert not CartLine.objects.exists()


def test_a_cart_token_is_needed_and_unknown_tokens_are_not_found():
    client = APIClient()
    assert client.get("/api/v1/cart/").status_code == 404
    assert client.get("/api/v1/cart/", HTTP_X_CART_TOKEN="nope").status_code == 404
    token = client.post("/api/v1/cart/").json()["token"]
    assert client.get(f"/api/v1/cart/?cart_token={token}").status_code == 200


def test_anonymous_requests_cannot_use_a_customers_cart_or_another_carts_lines():
    item = stocked(warehouse(), 5)
    user = UserFactory()
    signed = APIClient()
    signed.credentials(
        HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}"
    )
    theirs = signed.post(
        "/api/v1/cart/lines/", {"variant": item.pk}, format="json"
    ).json()
    assert (
        APIClient().get("/api/v1/cart/", HTTP_X_CART_TOKEN=theirs["token"]).status_code
        == 404
    )
    client, _ = anonymous_cart()
    line_id = theirs["lines"][0]["id"]
    assert (
        client.patch(
            f"/api/v1/cart/lines/{line_id}/", {"quantity": 3}, format="json"
        ).status_code
        == 404
    )
    assert CartLine.objects.get(pk=line_id).quantity == 1


def test_availability_follows_the_chosen_fulfilment():
    store = shop()
    depot = warehouse()
    only_online = stocked(depot, 4)
    in_shop = stocked(store, 2)
    stock(in_shop, depot, 1)
    client, _ = anonymous_cart()
    client.post(
        "/api/v1/cart/lines/",
        {
            "lines": [
                {"variant": only_online.pk, "quantity": 2},
                {"variant": in_shop.pk, "quantity": 2},
            ]
        },
        format="json",
    )
    pickup = client.get(f"/api/v1/cart/?fulfilment=pickup&store={store.pk}").json()
    assert {
        line["sku"]: (line["available"], line["availability"])
        for line in pickup["lines"]
    } == {
        only_online.sku: (0, "ships_to_store"),
        in_shop.sku: (2, "in_stock"),
    }
    delivery = client.get("/api/v1/cart/?fulfilment=delivery").json()
    assert {
        line["sku"]: (line["available"], line["availability"])
        for line in delivery["lines"]
    } == {
        only_online.sku: (4, "in_stock"),
        in_shop.sku: (1, "short"),
    }
    assert client.get("/api/v1/cart/?fulfilment=pickup").status_code == 400


def test_signing_in_folds_the_anonymous_cart_into_the_persistent_one():
    depot = warehouse()
    a = stocked(depot, 9)
    b = stocked(depot, 9)
    user = UserFactory()
    signed = APIClient()
    signed.credentials(
        HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}"
    )
    signed.post("/api/v1/cart/lines/", {"variant": a.pk, "quantity": 1}, format="json")
    client, token = anonymous_cart()
    client.post(
        "/api/v1/cart/lines/",
        {"lines": [{"variant": a.pk, "quantity": 2}, {"variant": b.pk, "quantity": 1}]},
        format="json",
    )
    merged = signed.get("/api/v1/cart/", HTTP_X_CART_TOKEN=token).json()
    assert {line["variant"]: line["quantity"] for line in merged["lines"]} == {
        a.pk: 3,
        b.pk: 1,
    }
    assert Cart.objects.get(token=token).status == CartStatus.MERGED
    assert client.get("/api/v1/cart/").status_code == 404  # the old token is spent
