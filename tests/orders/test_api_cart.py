"""The storefront cart: anonymous by token, persistent per customer, validated lines."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from customers.models import Customer
from omnistore.core.exceptions import Conflict
from orders.models import Cart, CartLine, CartStatus
from orders.selectors.carts import MAX_LINES
from orders.services.carts import add_cart_lines, start_cart
from tests.factories import UserFactory, stock
from tests.orders.discount_helpers import discount_code
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


def test_a_started_cart_is_stored_with_its_first_line_and_is_empty_until_then():
    item = stocked(warehouse(), 5, price="9.50")
    client, token = anonymous_cart()
    assert not Cart.objects.exists()
    empty = client.get("/api/v1/cart/").json()
    assert (empty["token"], empty["status"], empty["lines"]) == (token, "open", [])
    checkout = client.post(
        "/api/v1/checkout/",
        {
            "fulfilment": "delivery",
            "email": "a@example.com",
            "payment": {},
            "address": {"line1": "Via Roma 1", "city": "Milano", "postcode": "20100"},
        },
        format="json",
    )
    assert checkout.status_code == 400
    assert "cart" in checkout.json()["extra"]

    body = client.post(
        "/api/v1/cart/lines/", {"variant": item.pk, "quantity": 2}, format="json"
    ).json()
    cart = Cart.objects.get()
    assert (cart.token, cart.status, cart.customer_id) == (token, "open", None)
    assert [(line["variant"], line["quantity"]) for line in body["lines"]] == [
        (item.pk, 2)
    ]
    assert body["subtotal"] == "19.00"
    client.post("/api/v1/cart/lines/", {"variant": item.pk}, format="json")
    assert Cart.objects.count() == 1
    assert CartLine.objects.get().quantity == 3


def test_a_forged_or_altered_cart_token_is_not_found_and_stores_nothing():
    item = stocked(warehouse(), 5)
    _, token = anonymous_cart()
    forged = token[:-1] + ("A" if token[-1] != "A" else "B")
    for bad in (forged, "made-up-token"):
        client = APIClient()
        client.credentials(HTTP_X_CART_TOKEN=bad)
        assert client.get("/api/v1/cart/").status_code == 404
        response = client.post(
            "/api/v1/cart/lines/", {"variant": item.pk}, format="json"
        )
        assert response.status_code == 404
    assert not Cart.objects.exists()


def test_a_started_cart_stored_meanwhile_by_another_request_gets_the_lines():
    first, second = stocked(warehouse(), 5), stocked(warehouse(), 5)
    started = start_cart()
    stored = Cart.objects.get(
        pk=add_cart_lines(cart=Cart(token=started.token), lines=[(first.pk, 1)])[
            0
        ].cart_id
    )
    lines = add_cart_lines(cart=started, lines=[(second.pk, 2)])
    assert started.pk == stored.pk
    assert sorted((line.variant_id, line.quantity) for line in lines) == [
        (first.pk, 1),
        (second.pk, 2),
    ]
    assert Cart.objects.count() == 1

    Cart.objects.filter(pk=stored.pk).update(status=CartStatus.CONVERTED)
    with pytest.raises(Conflict):
        add_cart_lines(cart=Cart(token=started.token), lines=[(second.pk, 1)])
    assert CartLine.objects.filter(cart=stored).count() == 2


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
    for bad in ("", "carry_out", "post"):
        refused = client.get(f"/api/v1/cart/?fulfilment={bad}")
        assert refused.status_code == 400
        assert list(refused.json()["extra"]) == ["fulfilment"]


def signed_in(user) -> APIClient:
    client = APIClient()
    client.credentials(
        HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}"
    )
    return client


def writes(queries) -> list[str]:
    """The statements among ``queries`` that change rows."""
    return [
        q["sql"]
        for q in queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    ]


def quantities(lines) -> list[tuple[int, int]]:
    return [(line["variant"], line["quantity"]) for line in lines]


def read_writing_nothing(client, url="/api/v1/cart/", **headers) -> dict:
    """GET ``url``, checking that the request changed no row."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **headers)
    assert response.status_code == 200, response.json()
    assert writes(queries) == []
    return response.json()


def two_carts(depot):
    """A customer's cart holding one ``a``, and an anonymous cart filled before
    signing in (two ``a``, one ``b``)."""
    a, b = stocked(depot, 9), stocked(depot, 9)
    signed = signed_in(UserFactory())
    signed.post("/api/v1/cart/lines/", {"variant": a.pk, "quantity": 1}, format="json")
    client, token = anonymous_cart()
    client.post(
        "/api/v1/cart/lines/",
        {"lines": [{"variant": a.pk, "quantity": 2}, {"variant": b.pk, "quantity": 1}]},
        format="json",
    )
    return signed, client, token, a, b


def test_signing_in_folds_the_anonymous_cart_into_the_persistent_one_on_first_write():
    depot = warehouse()
    signed, client, token, a, b = two_carts(depot)
    mine = Cart.objects.get(customer__isnull=False)

    # Reading, signed in with the token: the folded cart, and nothing written.
    shown = read_writing_nothing(signed, HTTP_X_CART_TOKEN=token)
    assert quantities(shown["lines"]) == [(a.pk, 3), (b.pk, 1)]
    assert shown["token"] == mine.token and shown["subtotal"] == str(4 * a.price)
    assert (
        read_writing_nothing(signed, HTTP_X_CART_TOKEN=token)["lines"]
        == (shown["lines"])
    )
    assert Cart.objects.get(token=token).status == CartStatus.OPEN
    assert [(li.variant_id, li.quantity) for li in mine.lines.all()] == [(a.pk, 1)]
    assert quantities(client.get("/api/v1/cart/").json()["lines"]) == [
        (a.pk, 2),
        (b.pk, 1),
    ]

    # The first write folds it: the customer's cart holds what the read showed.
    c = stocked(depot, 9)
    added = signed.post(
        "/api/v1/cart/lines/", {"variant": c.pk}, format="json", HTTP_X_CART_TOKEN=token
    ).json()
    assert quantities(added["lines"]) == [*quantities(shown["lines"]), (c.pk, 1)]
    assert added["lines"][0] == shown["lines"][0]
    assert [(li.variant_id, li.quantity) for li in mine.lines.order_by("id")] == [
        (a.pk, 3),
        (b.pk, 1),
        (c.pk, 1),
    ]
    merged = Cart.objects.get(token=token)
    assert (merged.status, merged.merged_into_id) == (CartStatus.MERGED, mine.pk)
    assert client.get("/api/v1/cart/").status_code == 404  # the old token is spent


@pytest.mark.parametrize("method", ["patch", "delete"])
def test_a_line_read_before_the_fold_is_changed_by_the_id_the_read_showed(method):
    signed, _, token, a, b = two_carts(warehouse())
    shown = read_writing_nothing(signed, HTTP_X_CART_TOKEN=token)
    line_id = shown["lines"][1]["id"]  # the anonymous cart's line: stored anew
    response = getattr(signed, method)(
        f"/api/v1/cart/lines/{line_id}/",
        {"quantity": 5},
        format="json",
        HTTP_X_CART_TOKEN=token,
    )
    assert response.status_code == 200, response.json()
    left = [(a.pk, 3), (b.pk, 5)] if method == "patch" else [(a.pk, 3)]
    assert quantities(response.json()["lines"]) == left
    assert Cart.objects.get(token=token).status == CartStatus.MERGED
    other, _ = anonymous_cart()  # a line of a cart not folded into this one
    theirs = other.post("/api/v1/cart/lines/", {"variant": b.pk}, format="json")
    stranger = theirs.json()["lines"][0]["id"]
    refused = signed.patch(
        f"/api/v1/cart/lines/{stranger}/", {"quantity": 1}, format="json"
    )
    assert refused.status_code == 404


def test_a_refused_first_write_leaves_the_anonymous_cart_open():
    signed, client, token, a, b = two_carts(warehouse())
    response = signed.post(
        "/api/v1/cart/lines/",
        {"variant": 999999},
        format="json",
        HTTP_X_CART_TOKEN=token,
    )
    assert response.status_code == 400
    assert Cart.objects.get(token=token).status == CartStatus.OPEN
    mine = Cart.objects.get(customer__isnull=False)
    assert [(li.variant_id, li.quantity) for li in mine.lines.all()] == [(a.pk, 1)]
    assert quantities(client.get("/api/v1/cart/").json()["lines"]) == [
        (a.pk, 2),
        (b.pk, 1),
    ]


def test_reading_the_cart_before_the_first_write_creates_no_profile_and_no_cart():
    item = stocked(warehouse(), 9, price="7.00")
    user = UserFactory()
    signed = signed_in(user)
    empty = read_writing_nothing(signed)
    assert not Customer.objects.filter(user=user).exists()
    assert not Cart.objects.exists()
    assert (empty["token"], empty["status"], empty["lines"]) == ("", "open", [])
    assert empty["item_count"] == 0

    client, token = anonymous_cart()
    client.post("/api/v1/cart/lines/", {"variant": item.pk, "quantity": 2})
    discount_code("SPRING10", max_uses_per_customer=1)
    shown = read_writing_nothing(
        signed, "/api/v1/cart/?discount_code=spring10", HTTP_X_CART_TOKEN=token
    )
    assert not Customer.objects.filter(user=user).exists()
    assert Cart.objects.count() == 1
    assert (shown["token"], quantities(shown["lines"])) == ("", [(item.pk, 2)])
    assert (shown["subtotal"], shown["total"]) == ("14.00", "12.60")

    added = signed.post(
        "/api/v1/cart/lines/",
        {"variant": item.pk},
        format="json",
        HTTP_X_CART_TOKEN=token,
    ).json()
    assert quantities(added["lines"]) == [(item.pk, 3)]
    assert Cart.objects.get(customer__user=user).token == added["token"] != ""


def test_a_fold_brings_in_lines_only_up_to_the_carts_limit():
    depot = warehouse()
    items = [stocked(depot, 9) for _ in range(MAX_LINES + 3)]
    signed = signed_in(UserFactory())
    signed.post(
        "/api/v1/cart/lines/",
        {"lines": [{"variant": v.pk, "quantity": 1} for v in items[:40]]},
        format="json",
    )
    client, token = anonymous_cart()
    client.post(
        "/api/v1/cart/lines/",
        {"lines": [{"variant": v.pk, "quantity": 1} for v in items[30:]]},
        format="json",
    )

    shown = read_writing_nothing(signed, HTTP_X_CART_TOKEN=token)
    stored = signed.patch(
        f"/api/v1/cart/lines/{shown['lines'][0]['id']}/",
        {"quantity": 2},
        format="json",
        HTTP_X_CART_TOKEN=token,
    )

    assert len(shown["lines"]) == MAX_LINES
    assert stored.status_code == 200, stored.json()
    mine = Cart.objects.get(customer__isnull=False)
    assert mine.lines.count() == MAX_LINES
    assert [li.variant_id for li in mine.lines.order_by("id")] == [
        v.pk for v in items[:MAX_LINES]
    ]


def test_a_pickup_preview_refuses_the_shops_checkout_refuses_with_its_messages():
    """A shop without click and collect, a warehouse, a closed shop or an unknown
    id: the cart refuses the pickup preview as checkout refuses the order."""
    depot = warehouse()
    item = stocked(depot, 5)
    no_collect = shop(click_and_collect=False)
    closed = shop(active=False)
    stock(item, no_collect, 3)
    client, _ = anonymous_cart()
    client.post("/api/v1/cart/lines/", {"variant": item.pk}, format="json")

    for store_id in (no_collect.pk, depot.pk, closed.pk, 999999):
        preview = client.get(f"/api/v1/cart/?fulfilment=pickup&store={store_id}")
        placed = client.post(
            "/api/v1/checkout/",
            {
                "fulfilment": "pickup",
                "store": store_id,
                "email": "a@example.com",
                "payment": {"token": "tok_visa"},
            },
            format="json",
        )
        assert preview.status_code == placed.status_code == 400, preview.json()
        assert preview.json()["extra"] == placed.json()["extra"], store_id
    assert client.get(f"/api/v1/cart/?fulfilment=pickup&store={no_collect.pk}").json()[
        "extra"
    ] == {"store": ["This shop does not offer click and collect."]}
    assert client.get("/api/v1/cart/?fulfilment=pickup&store=999999").json()[
        "extra"
    ] == {"store": ["Unknown location."]}


def test_a_write_asking_a_refused_pickup_preview_changes_nothing():
    item = stocked(warehouse(), 5)
    no_collect = shop(click_and_collect=False)
    client, _ = anonymous_cart()
    line = client.post("/api/v1/cart/lines/", {"variant": item.pk}, format="json")
    line_id = line.json()["lines"][0]["id"]
    query = f"?fulfilment=pickup&store={no_collect.pk}"

    added = client.post(
        f"/api/v1/cart/lines/{query}", {"variant": item.pk}, format="json"
    )
    changed = client.patch(
        f"/api/v1/cart/lines/{line_id}/{query}", {"quantity": 4}, format="json"
    )
    removed = client.delete(f"/api/v1/cart/lines/{line_id}/{query}")

    assert [added.status_code, changed.status_code, removed.status_code] == [400] * 3
    assert list(CartLine.objects.values_list("quantity", flat=True)) == [1]


def test_a_pickup_preview_is_priced_and_taxed_in_the_shops_country_as_the_order():
    munich = shop(country="DE", city="München")
    item = stocked(munich, 5, price="59.90")
    client, _ = anonymous_cart()
    client.post("/api/v1/cart/lines/", {"variant": item.pk}, format="json")

    preview = client.get(
        f"/api/v1/cart/?fulfilment=pickup&store={munich.pk}&country=IT"
    ).json()
    placed = client.post(
        "/api/v1/checkout/",
        {
            "fulfilment": "pickup",
            "store": munich.pk,
            "email": "vat@example.org",
            "payment": {"token": "tok_visa"},
        },
        format="json",
    ).json()

    assert (preview["country"], preview["currency"]) == ("DE", "EUR")
    assert placed["tax_country"] == "DE"
    line, ordered = preview["lines"][0], placed["lines"][0]
    assert (line["tax_rate"], line["net"], line["tax"], line["gross"]) == (
        "19.00",
        "50.34",
        "9.56",
        "59.90",
    )
    assert (ordered["tax_rate"], ordered["net"], ordered["tax"]) == (
        line["tax_rate"],
        line["net"],
        line["tax"],
    )
    assert (preview["net_total"], preview["tax_total"], preview["total"]) == (
        placed["net_total"],
        placed["tax_total"],
        placed["total"],
    )


def test_an_empty_cart_shows_its_amounts_with_two_decimals():
    client, _ = anonymous_cart()

    body = client.get("/api/v1/cart/").json()

    assert [
        body[name]
        for name in ("subtotal", "net_total", "tax_total", "delivery_fee", "total")
    ] == ["0.00"] * 5
