"""An item retired while it sits in a cart: the cart shows it unavailable, takes no
more of it (refused as adding it to a new cart is), lets it be lowered or removed,
and checkout refuses it with a 409 naming the line as a short line is named."""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from inventory.markets import forget_tax_table
from inventory.models import Market, Reservation
from orders.models import Cart, CartLine, CartStatus, Order
from tests.customers.factories import CustomerUserFactory
from tests.orders.discount_helpers import discount_code
from tests.orders.factories import shop, stocked, warehouse

from .test_api_checkout import ADDRESS, CARD, cart_with, checkout

pytestmark = pytest.mark.django_db

LINES = "/api/v1/cart/lines/"


def retire(variant, *, whole_product=False):
    """Taken off sale as the admin does: the variant, or its whole product."""
    target = variant.product if whole_product else variant
    target.active = False
    target.save(update_fields=["active"])


def line_of(body, variant) -> dict:
    return next(line for line in body["lines"] if line["variant"] == variant.pk)


@pytest.mark.parametrize("whole_product", [False, True])
def test_the_cart_shows_a_retired_item_unavailable(whole_product):
    store = shop()
    kept, retired = stocked(store, 5), stocked(store, 5)
    client = APIClient()
    cart_with(client, (kept, 1), (retired, 1))
    retire(retired, whole_product=whole_product)

    for query in ("", f"?fulfilment=pickup&store={store.pk}"):
        body = client.get(f"/api/v1/cart/{query}").json()
        assert (
            line_of(body, retired)["availability"],
            line_of(body, retired)["available"],
        ) == ("unavailable", 0)
        assert line_of(body, kept)["availability"] != "unavailable"
    assert line_of(body, kept)["availability"] == "in_stock"  # at the shop


def test_a_retired_item_in_the_cart_takes_no_more_units_but_may_be_lowered():
    store = shop()
    retired = stocked(store, 5)
    client = APIClient()
    cart_with(client, (retired, 2))
    line = CartLine.objects.get()
    retire(retired)
    fresh = APIClient()
    fresh.credentials(HTTP_X_CART_TOKEN=fresh.post("/api/v1/cart/").json()["token"])
    refused_fresh = fresh.post(LINES, {"variant": retired.pk}, format="json")
    assert refused_fresh.status_code == 400

    added = client.post(LINES, {"variant": retired.pk}, format="json")
    raised = client.patch(f"{LINES}{line.pk}/", {"quantity": 3}, format="json")

    for refused in (added, raised):
        assert refused.status_code == 400, refused.json()
        assert refused.json() == refused_fresh.json()
    line.refresh_from_db()
    assert line.quantity == 2
    lowered = client.patch(f"{LINES}{line.pk}/", {"quantity": 1}, format="json")
    assert lowered.status_code == 200, lowered.json()
    assert client.delete(f"{LINES}{line.pk}/").status_code in (200, 204)
    assert not CartLine.objects.exists()


def test_checkout_refuses_a_retired_item_naming_its_line_like_a_short_one():
    store = shop()
    kept, retired, scarce = stocked(store, 5), stocked(store, 5), stocked(store, 1)
    client = APIClient()
    client.force_authenticate(CustomerUserFactory())
    client.post(
        LINES,
        {"lines": [{"variant": v.pk, "quantity": 2} for v in (kept, retired, scarce)]},
        format="json",
    )
    short = checkout(client, fulfilment="pickup", store=store.pk, payment=CARD)
    assert short.status_code == 409 and short.json()["code"] == "insufficient_stock"
    retire(retired)

    response = checkout(client, fulfilment="pickup", store=store.pk, payment=CARD)

    assert response.status_code == 409, response.json()
    body = response.json()
    assert body["code"] == "not_for_sale"
    (named,) = body["extra"]["lines"]
    assert set(named) == set(short.json()["extra"]["lines"][0])
    assert (named["variant_id"], named["sku"], named["requested"]) == (
        retired.pk,
        retired.sku,
        2,
    )
    assert named["available"] == 0
    assert not Order.objects.exists() and not Reservation.objects.exists()
    assert Cart.objects.get().status == CartStatus.OPEN


def test_paying_ahead_for_a_cart_with_a_retired_item_is_refused_as_checkout_is():
    store = shop()
    retired = stocked(store, 5)
    client = APIClient()
    cart_with(client, (retired, 1))
    retire(retired)

    response = client.post(
        "/api/v1/checkout/payment-intent/",
        {"fulfilment": "pickup", "store": store.pk, "email": "ada@example.com"},
        format="json",
    )

    assert response.status_code == 409, response.json()
    assert response.json()["code"] == "not_for_sale"
    assert [line["variant_id"] for line in response.json()["extra"]["lines"]] == [
        retired.pk
    ]


CART_TOTALS = (
    "subtotal",
    "discount_total",
    "delivery_fee",
    "net_total",
    "tax_total",
    "total",
)


@pytest.fixture
def priced_delivery():
    """The EU market charges 4.90 for delivery, free from 100.00 of goods."""
    Market.objects.filter(code="EU").update(
        delivery_fee=Decimal("4.90"), free_delivery_from=Decimal("100.00")
    )
    forget_tax_table()
    yield
    forget_tax_table()


def test_a_retired_item_is_left_out_of_the_cart_s_totals_as_checkout_leaves_it(
    priced_delivery,
):
    """Its price would reach the market's free delivery and take a share of the
    code: the cart counts neither, and its total is what checkout charges once the
    line checkout refuses is removed."""
    discount_code("PCT15", "percentage", "15")
    depot = warehouse()
    kept = stocked(depot, 5, price="24.90")
    retired = stocked(depot, 5, price="80.00")
    client = APIClient()
    cart_with(client, (kept, 1), (retired, 1))
    retire(retired, whole_product=True)
    query = "/api/v1/cart/?fulfilment=delivery&discount_code=PCT15"

    shown = client.get(query).json()
    dead = line_of(shown, retired)
    assert (dead["availability"], dead["sellable_here"]) == ("unavailable", False)
    assert (dead["line_total"], dead["discount"]) == (None, "0.00")
    assert (shown["subtotal"], shown["delivery_fee"]) == ("24.90", "4.90")

    client.delete(f"{LINES}{dead['id']}/")
    alone = client.get(query).json()
    placed = checkout(
        client, fulfilment="delivery", address=ADDRESS, discount_code="PCT15"
    )

    assert placed.status_code == 201, placed.json()
    assert {key: shown[key] for key in CART_TOTALS} == {
        key: alone[key] for key in CART_TOTALS
    }
    assert {key: shown[key] for key in CART_TOTALS} == {
        key: placed.json()[key] for key in CART_TOTALS
    }
