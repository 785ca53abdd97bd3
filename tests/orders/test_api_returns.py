"""Storefront returns API: customers start returns of their own orders, see only their
own returns, and get field errors for quantities they cannot return."""

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from orders.models import Return
from orders.services.refunds import receive_return
from orders.services.returns import ReturnLineRequest, request_return
from tests.factories import StaffFactory
from tests.orders.factories import shop, stocked
from tests.orders.returns_helpers import (
    api_client_for,
    collected_order,
    days_ago,
    shopper,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def store():
    return shop()


@pytest.fixture
def ada(store):
    user, customer = shopper()
    item = stocked(store, 10, price="30.00")
    order = collected_order(store=store, lines=[(item, 2)], customer=customer)
    return {
        "client": api_client_for(user),
        "customer": customer,
        "order": order,
        "line": order.lines.get(),
    }


def start(client, order, line, quantity=1, reason="too_big"):
    return client.post(
        "/api/v1/returns/",
        {
            "order": order.number,
            "lines": [{"order_line": line.pk, "quantity": quantity, "reason": reason}],
        },
        format="json",
    )


def test_a_return_needs_a_signed_in_customer(ada):
    response = APIClient().post("/api/v1/returns/", {}, format="json")
    assert response.status_code in (401, 403)
    assert not Return.objects.exists()


def test_more_than_bought_is_a_400_with_field_errors(ada):
    response = start(ada["client"], ada["order"], ada["line"], quantity=3)

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "return_quantity"
    assert "at most 2 can be returned" in body["extra"]["lines"][0]
    assert body["extra"]["returnable"] == {str(ada["line"].pk): 2}
    assert not Return.objects.exists()


def test_already_returned_units_count_against_the_next_return(ada):
    assert (
        start(ada["client"], ada["order"], ada["line"], quantity=2).status_code == 201
    )
    response = start(ada["client"], ada["order"], ada["line"], quantity=1)
    assert response.status_code == 400
    assert "2 already on a return" in response.json()["extra"]["lines"][0]


@pytest.mark.parametrize(
    "line_input, field",
    [
        ({"quantity": 0, "reason": "too_big"}, "quantity"),
        ({"quantity": 1, "reason": "bored"}, "reason"),
    ],
)
def test_malformed_lines_are_a_400_naming_the_field(ada, line_input, field):
    response = ada["client"].post(
        "/api/v1/returns/",
        {
            "order": ada["order"].number,
            "lines": [{"order_line": ada["line"].pk, **line_input}],
        },
        format="json",
    )
    assert response.status_code == 400
    assert field in response.json()["extra"]["lines"][0]


def test_no_lines_is_a_400(ada):
    response = ada["client"].post(
        "/api/v1/returns/",
        {"order": ada["order"].number, "lines": []},
        format="json",
    )
    assert response.status_code == 400
    assert "lines" in response.json()["extra"]


@override_settings(OMNISTORE_RETURN_WINDOW_DAYS=14)
def test_outside_the_window_is_a_409_that_says_why(store):
    user, customer = shopper("late@example.com")
    item = stocked(store, 3)
    order = collected_order(
        store=store, lines=[(item, 1)], customer=customer, when=days_ago(20)
    )
    response = start(api_client_for(user), order, order.lines.get())

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "return_not_allowed"
    assert "14-day return window closed" in body["message"]
    assert not Return.objects.exists()


def test_other_customers_orders_and_returns_are_404(ada, store):
    created = start(ada["client"], ada["order"], ada["line"]).json()
    eve, _ = shopper("eve@example.com")
    client = api_client_for(eve)

    assert start(client, ada["order"], ada["line"]).status_code == 404
    assert client.get(f"/api/v1/returns/{created['code']}/").status_code == 404
    assert client.get(f"/api/v1/returns/{created['code']}/qr.png").status_code == 404
    assert client.get("/api/v1/returns/").json()["count"] == 0
    assert Return.objects.count() == 1


def test_a_code_typed_in_lower_case_still_opens_the_return(ada):
    code = start(ada["client"], ada["order"], ada["line"]).json()["code"]
    response = ada["client"].get(f"/api/v1/returns/{code.lower()}/")
    assert response.status_code == 200
    assert response.json()["code"] == code
    assert ada["client"].get("/api/v1/returns/R-000000/").status_code == 404


@pytest.mark.parametrize("count", [1, 5])
def test_the_list_costs_the_same_queries_at_any_length(
    store, count, django_assert_max_num_queries
):
    user, customer = shopper("many@example.com")
    items = [stocked(store, 20) for _ in range(2)]
    associate = StaffFactory(store=store)
    for index in range(count):
        order = collected_order(
            store=store, lines=[(items[0], 1), (items[1], 1)], customer=customer
        )
        ret = request_return(
            order=order.number,
            customer=customer,
            channel="web",
            lines=[
                ReturnLineRequest(line.pk, 1, "other") for line in order.lines.all()
            ],
        )
        if index % 2:
            receive_return(return_request=ret, location=store, actor=associate)
    client = api_client_for(user)

    with django_assert_max_num_queries(6):
        response = client.get("/api/v1/returns/")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == count
    assert all(len(row["lines"]) == 2 for row in body["results"])


def test_the_detail_costs_a_fixed_number_of_queries(
    ada, django_assert_max_num_queries, tax_table_kept
):
    """Markets kept by the process, as deployed: where to post the return costs its
    order's payments (is cash to give back?), parts and the warehouses, whatever
    their number."""
    code = start(ada["client"], ada["order"], ada["line"], quantity=2).json()["code"]
    with django_assert_max_num_queries(10):
        response = ada["client"].get(f"/api/v1/returns/{code}/")
    assert response.status_code == 200
    assert [h["to_status"] for h in response.json()["history"]] == ["requested"]


def _copies(ada, count: int):
    line = {"order_line": ada["line"].pk, "quantity": 1, "reason": "too_big"}
    return ada["client"].post(
        "/api/v1/returns/",
        {"order": ada["order"].number, "lines": [line] * count},
        format="json",
    )


def test_more_lines_than_a_return_takes_is_one_short_error(ada):
    """200 copies of one line: one error on ``lines``, not one per copy."""
    response = _copies(ada, 200)

    assert response.status_code == 400
    assert response.json()["extra"] == {
        "lines": {"non_field_errors": ["A return lists at most 100 lines."]}
    }
    assert len(response.content) < 300
    assert not Return.objects.exists()


def test_a_line_listed_again_is_named_once(ada):
    response = _copies(ada, 5)

    assert response.status_code == 400
    assert response.json()["extra"]["lines"] == [
        f"Order line {ada['line'].pk} is listed more than once."
    ]
    assert not Return.objects.exists()
