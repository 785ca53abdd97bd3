"""``/api/v1/me/loyalty/``: the signed-in customer's tier, kept spend, progress and
points with their worth; ``/api/v1/me/loyalty/points/``: their ledger, a page at a
time. A customer only ever sees their own."""

import pytest

from customers.services.loyalty import earn_points
from omnistore.accounts.models import Role
from orders.services.refunds import return_at_counter
from tests.approvals.helpers import make_approver
from tests.factories import StaffFactory
from tests.orders.factories import deliver_outbox, pickup_order, shop, stocked
from tests.orders.returns_helpers import (
    api_client_for,
    collected_order,
    line_request,
    shopper,
)

pytestmark = pytest.mark.django_db

LOYALTY = "/api/v1/me/loyalty/"
POINTS = "/api/v1/me/loyalty/points/"


@pytest.fixture
def store():
    return shop(name="Torino Centro")


@pytest.fixture
def item(store):
    return stocked(store, 100, price="200.00")


def test_a_new_customer_is_a_member_with_the_whole_ladder_ahead(api_client):
    user, _ = shopper()
    body = api_client_for(user).get(LOYALTY).json()

    assert body["tier"] == {
        "name": "Member",
        "min_spend": "0.00",
        "multiplier": "1.000",
        "free_delivery": False,
    }
    assert body["next_tier"]["name"] == "Silver"
    assert (body["spend"], body["to_next_tier"], body["progress_percent"]) == (
        "0.00",
        "500.00",
        0,
    )
    assert (body["points_balance"], body["points_value"], body["currency"]) == (
        0,
        "0.00",
        "EUR",
    )
    assert [t["name"] for t in body["tiers"]] == ["Member", "Silver", "Gold"]
    assert body["tiers"][2]["free_delivery"] is True


def test_orders_raise_the_tier_and_a_refunded_return_lowers_it(store, item):
    user, customer = shopper()
    order = collected_order(store=store, lines=[(item, 4)], customer=customer)
    client = api_client_for(user)

    body = client.get(LOYALTY).json()
    assert body["tier"]["name"] == "Silver"
    assert body["tier"]["multiplier"] == "1.250"
    assert (body["spend"], body["to_next_tier"], body["progress_percent"]) == (
        "800.00",
        "700.00",
        30,
    )
    assert body["points_balance"] == 1000  # 800 at × 1.25
    assert body["points_value"] == "10.00"

    return_at_counter(
        order=order.number,
        lines=[line_request(order, units=1)],
        location=store,
        actor=make_approver(StaffFactory(store=store, role=Role.STORE_MANAGER)),
    )

    body = client.get(LOYALTY).json()
    assert (body["tier"]["name"], body["spend"]) == ("Silver", "600.00")
    assert (body["points_balance"], body["points_value"]) == (750, "7.50")


def test_the_top_tier_has_no_next_tier(store, item):
    user, customer = shopper()
    collected_order(store=store, lines=[(item, 8)], customer=customer)

    body = api_client_for(user).get(LOYALTY).json()

    assert body["tier"]["name"] == "Gold"
    assert (body["next_tier"], body["to_next_tier"]) == (None, None)
    assert body["progress_percent"] == 100


@pytest.mark.parametrize("orders", [1, 6])
def test_loyalty_costs_a_fixed_number_of_queries(
    store, item, django_assert_num_queries, orders
):
    user, customer = shopper()
    for _ in range(orders):
        collected_order(store=store, lines=[(item, 1)], customer=customer)
    client = api_client_for(user)
    with django_assert_num_queries(4):  # token, profile, spend, points pending
        response = client.get(LOYALTY)
    assert response.status_code == 200
    assert response.json()["spend"] == f"{200 * orders}.00"


def test_loyalty_needs_a_signed_in_customer(api_client):
    assert api_client.get(LOYALTY).status_code == 401
    assert api_client.get(POINTS).status_code == 401
    staff = api_client_for(StaffFactory())
    assert staff.get(LOYALTY).status_code == 404
    assert staff.get(POINTS).status_code == 404


def test_the_ledger_is_mine_newest_first_and_paginated(
    store, item, django_assert_num_queries
):
    user, customer = shopper("ada@example.com")
    _, other = shopper("bo@example.com")
    for n in range(23):
        earn_points(customer=customer, points=n + 1, reason=f"Gift {n}", reference_id=n)
    earn_points(customer=other, points=5, reason="Not Ada's", reference_id="bo")
    pickup_order(store=store, lines=[(item, 1)], customer=customer)
    deliver_outbox()
    client = api_client_for(user)

    with django_assert_num_queries(4):  # token, profile, count, page
        body = client.get(POINTS).json()

    assert body["count"] == 24
    first = body["results"][0]
    assert first["kind"] == "earn" and first["points"] == 200
    assert first["reason"].startswith("Order ")
    assert first["reference_type"] == "order"
    assert len(body["results"]) == 20
    rest = client.get(POINTS, {"page": 2}).json()["results"]
    assert len(rest) == 4
    assert "Not Ada's" not in {row["reason"] for row in body["results"] + rest}


@pytest.mark.parametrize(
    "query", [{"page": "0"}, {"page": "x"}, {"page_size": "-1"}, {"page": "99"}]
)
def test_bad_pages_are_refused_not_crashed(query):
    user, _ = shopper()
    response = api_client_for(user).get(POINTS, query)
    assert response.status_code in (400, 404)
    assert set(response.json()) >= {"message", "code"}


def test_the_schema_documents_the_loyalty_endpoints(api_client):
    schema = api_client.get("/api/schema/", {"format": "json"}).json()
    assert "/api/v1/me/loyalty/" in schema["paths"]
    assert "/api/v1/me/loyalty/points/" in schema["paths"]
    output = schema["components"]["schemas"]["LoyaltyOutput"]["properties"]
    assert {"tier", "next_tier", "spend", "points_value", "tiers"} <= set(output)


def test_the_points_that_can_be_spent_now_are_those_checkout_takes(store, item):
    """Points of an order not handed over yet are in the balance but cannot be spent
    yet: the app reads how many can, and checkout takes exactly that many."""
    user, customer = shopper()
    earn_points(customer=customer, points=300, reason="Welcome", reference_id="w")
    pickup_order(store=store, lines=[(item, 1)], customer=customer)
    deliver_outbox()  # the order's points are credited
    client = api_client_for(user)

    body = client.get(LOYALTY).json()

    assert body["points_balance"] > 300
    assert body["points_spendable"] == 300
    client.post("/api/v1/cart/lines/", {"variant": item.pk}, format="json")
    pay = {"fulfilment": "pickup", "store": store.pk, "payment": {"token": "tok_visa"}}
    refused = client.post(
        "/api/v1/checkout/",
        {**pay, "tenders": [{"type": "points", "points": 301}]},
        format="json",
    )
    assert refused.json()["code"] == "points_not_settled"
    assert "300 can be spent now" in refused.json()["message"]
    placed = client.post(
        "/api/v1/checkout/",
        {**pay, "tenders": [{"type": "points", "points": 300}]},
        format="json",
    )
    assert placed.status_code == 201, placed.json()
    assert client.get(LOYALTY).json()["points_spendable"] == 0


def test_the_schema_documents_the_points_that_can_be_spent_now(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    output = schema["components"]["schemas"]["LoyaltyOutput"]["properties"]

    assert output["points_spendable"]["type"] == "integer"
    assert "handed over" in output["points_spendable"]["description"]
