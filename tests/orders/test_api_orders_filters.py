"""A customer narrows their order list by channel, status and the days the orders
were placed; a value the list does not take is refused, never ignored."""

from datetime import datetime

import pytest
from django.utils import timezone

from orders.models import OrderStatus
from orders.services.fulfilment import mark_picked
from tests.factories import StaffFactory
from tests.orders.factories import pickup_order, shop, stocked
from tests.orders.returns_helpers import api_client_for, counter_sale, shopper

pytestmark = pytest.mark.django_db

ROME = timezone.get_default_timezone()


def at(day: str, hour: int = 12) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=ROME)


@pytest.fixture
def store():
    return shop(code="MI01", name="Milano Duomo")


@pytest.fixture
def chiara(store):
    """A customer with two web orders (one picked) and two shop purchases, and
    another customer with one of each."""
    user, customer = shopper("chiara@example.com")
    _, other = shopper("bruno@example.com")
    associate = StaffFactory(store=store)
    item = stocked(store, 20)
    web_placed = pickup_order(
        store=store, lines=[(item, 1)], customer=customer, now=at("2030-03-01")
    )
    web_picked = pickup_order(
        store=store, lines=[(item, 1)], customer=customer, now=at("2030-03-02")
    )
    mark_picked(order=web_picked, location=store)
    in_store = [
        counter_sale(
            store=store, lines=[(item, 1)], staff=associate, customer=customer, now=when
        )
        for when in (at("2030-03-03", 9), at("2030-03-04", 0))
    ]
    pickup_order(store=store, lines=[(item, 1)], customer=other, email="b@x.com")
    counter_sale(store=store, lines=[(item, 1)], staff=associate, customer=other)
    orders = {
        "web_placed": web_placed.number,
        "web_picked": web_picked.number,
        "store": [o.number for o in in_store],
    }
    return api_client_for(user), orders


def numbers(client, **query) -> list[str]:
    response = client.get("/api/v1/orders/", query)
    assert response.status_code == 200, response.json()
    return [row["number"] for row in response.json()["results"]]


def test_the_list_narrows_to_one_channel_and_status_of_the_customers_own_orders(
    chiara,
):
    client, orders = chiara

    assert numbers(client, channel="store") == orders["store"][::-1]
    assert numbers(client, channel="web") == [
        orders["web_picked"],
        orders["web_placed"],
    ]
    assert numbers(client, channel="web", status="placed") == [orders["web_placed"]]
    assert numbers(client, status="picked") == [orders["web_picked"]]
    assert numbers(client, channel="phone") == []
    assert len(numbers(client)) == 4  # the other customer's orders never appear


def test_the_list_narrows_to_the_days_placed_in_the_shops_time_zone(chiara):
    client, orders = chiara

    assert numbers(client, created_after="2030-03-03") == orders["store"][::-1]
    # midnight in Milan on the 4th is the 4th, though UTC still reads the 3rd
    assert numbers(client, created_after="2030-03-04") == orders["store"][1:]
    assert numbers(client, created_after="2030-03-02", created_before="2030-03-03") == [
        orders["store"][0],
        orders["web_picked"],
    ]
    assert numbers(client, created_before="2030-03-01") == [orders["web_placed"]]
    assert numbers(client, created_after="2030-03-05") == []


@pytest.mark.parametrize(
    "query",
    [
        {"created_after": "0001-01-01"},
        {"created_before": "9999-12-31"},
        {"created_after": "0001-01-01", "created_before": "9999-12-31"},
    ],
)
def test_the_first_and_last_days_there_are_leave_the_list_whole(chiara, query):
    client, _ = chiara

    assert len(numbers(client, **query)) == 4


@pytest.mark.parametrize(
    "query, field, said",
    [
        ({"channel": "shop"}, "channel", '"shop" is not a valid choice; one of: '),
        ({"status": "lost"}, "status", '"lost" is not a valid choice; one of: '),
        ({"status": "null"}, "status", '"null" is not a valid choice; one of: '),
        ({"status": ""}, "status", '"" is not a valid choice; one of: '),
        ({"created_after": ""}, "created_after", "Enter a valid date."),
        ({"created_after": "yesterday"}, "created_after", "Enter a valid date."),
        ({"created_before": "10000-01-01"}, "created_before", "Enter a valid date."),
    ],
)
def test_a_value_the_list_does_not_take_is_refused_on_its_parameter(
    chiara, query, field, said
):
    client, _ = chiara

    response = client.get("/api/v1/orders/", {"channel": "web", **query})

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    (message,) = body["extra"][field]
    assert message.startswith(said)
    assert set(body["extra"]) == {field}


def test_a_wrong_channel_names_the_channels_there_are(chiara):
    client, _ = chiara

    response = client.get("/api/v1/orders/", {"channel": "shop"})

    assert response.json()["extra"]["channel"] == [
        '"shop" is not a valid choice; one of: web, app, store, phone.'
    ]


def test_a_narrowed_list_costs_the_queries_of_the_whole_list(
    chiara, django_assert_max_num_queries
):
    client, orders = chiara
    with django_assert_max_num_queries(5):
        response = client.get(
            "/api/v1/orders/",
            {"channel": "store", "status": OrderStatus.COMPLETED.value},
        )
    assert response.status_code == 200
    assert [row["number"] for row in response.json()["results"]] == (
        orders["store"][::-1]
    )


def test_the_schema_documents_the_parameters_the_list_takes(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    operation = schema["paths"]["/api/v1/orders/"]["get"]
    parameters = {p["name"]: p for p in operation["parameters"]}

    assert set(parameters["channel"]["schema"]["enum"]) == {
        "web",
        "app",
        "store",
        "phone",
    }
    assert "collected" in parameters["status"]["schema"]["enum"]
    for name in ("created_after", "created_before"):
        assert parameters[name]["schema"] == {"type": "string", "format": "date"}
    assert "400" in operation["responses"]
