"""Adding to the cart: a line holds at most 99 units and the refusal says how many
more fit; one item (``variant``) or several (``lines``) per request, never both."""

import pytest
from rest_framework.test import APIClient

from orders.models import CartLine
from tests.orders.factories import stocked, warehouse

pytestmark = pytest.mark.django_db

LINES = "/api/v1/cart/lines/"


def anonymous_cart() -> APIClient:
    client = APIClient()
    client.credentials(HTTP_X_CART_TOKEN=client.post("/api/v1/cart/").json()["token"])
    return client


@pytest.mark.parametrize(
    ("held", "more"), [(60, "so 39 more"), (98, "so 1 more"), (99, "so no more")]
)
@pytest.mark.parametrize("as_lines", [False, True])
def test_adding_past_a_line_s_99_units_says_how_many_more_fit(held, more, as_lines):
    item = stocked(warehouse(), 200)
    client = anonymous_cart()
    assert (
        client.post(LINES, {"variant": item.pk, "quantity": held}, format="json")
    ).status_code == 201
    line = {"variant": item.pk, "quantity": 60}

    refused = client.post(LINES, {"lines": [line]} if as_lines else line, format="json")

    assert refused.status_code == 400, refused.json()
    message = f"You already have {held} of this item: at most 99 of one item, {more}."
    body = refused.json()
    assert (body["message"], body["code"], body["extra"]) == (
        message,
        "line_full",
        {"quantity": [message]},
    )
    assert CartLine.objects.get().quantity == held


def test_adding_up_to_99_units_of_a_line_is_fine():
    item = stocked(warehouse(), 200)
    client = anonymous_cart()
    client.post(LINES, {"variant": item.pk, "quantity": 60}, format="json")

    added = client.post(LINES, {"variant": item.pk, "quantity": 39}, format="json")

    assert added.status_code == 201, added.json()
    assert [line["quantity"] for line in added.json()["lines"]] == [99]


def test_a_variant_sent_with_lines_is_a_400_and_nothing_is_added():
    depot = warehouse()
    one, other = stocked(depot, 5), stocked(depot, 5)
    client = anonymous_cart()

    refused = client.post(
        LINES,
        {"variant": one.pk, "quantity": 2, "lines": [{"variant": other.pk}]},
        format="json",
    )

    assert refused.status_code == 400, refused.json()
    assert refused.json()["extra"] == {
        "variant": ["Send either `variant` or `lines`, not both."]
    }
    assert not CartLine.objects.exists()


def test_the_schema_says_the_body_is_one_item_or_several_never_both(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    body = schema["components"]["schemas"]["CartLinesInputRequest"]

    assert "not both" in body["description"]
    assert "not both" in body["properties"]["variant"]["description"]
    assert "not both" in body["properties"]["lines"]["description"]
