"""Bad input is a 4xx with the API's error body, never a server error or an HTML page.

NUL cannot be stored in PostgreSQL (a query with it fails), a lone surrogate is not
UTF-8, and deep JSON exhausts the stack: each is refused before a view reads it.
"""

import json

import pytest
from rest_framework.test import APIClient

from customers.models import Wishlist
from orders.models import CartLine
from tests.customers.factories import CustomerUserFactory
from tests.orders.factories import stocked, warehouse

pytestmark = pytest.mark.django_db


def assert_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert {"message", "code", "extra"} <= set(body), body
    assert isinstance(body["message"], str) and isinstance(body["extra"], dict)
    if code is not None:
        assert body["code"] == code, body
    return body


@pytest.fixture
def customer_client():
    client = APIClient()
    client.force_authenticate(CustomerUserFactory())
    return client


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/cart/?cart_token=%00",
        "/api/v1/cart/?discount_code=%00",
        "/api/v1/cart/?discount_code=a%00b&fulfilment=delivery",
        "/api/v1/wishlists/shared/%00/",
        "/api/v1/orders/%00/",
        "/api/v1/orders/?page=%00",
        "/api/v1/products/?q=%00",
    ],
)
def test_a_nul_in_the_path_or_query_is_a_400_with_the_error_body(customer_client, url):
    response = customer_client.get(url)
    body = assert_error(response, 400, "invalid")
    assert body["message"] == "Null characters are not allowed."
    assert body["non_field_errors"] == ["Null characters are not allowed."]
    assert b'", "' not in response.content  # rendered as every other API answer


def test_a_nul_outside_the_api_is_a_400_page_with_a_way_back(client):
    response = client.get("/staff/login/?next=%00")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert "Null characters are not allowed." in page
    assert 'href="/staff/login/"' in page


def test_json_nested_a_thousand_deep_is_a_400():
    depth = "[" * 1000 + "]" * 1000
    response = APIClient().post(
        "/api/v1/cart/lines/", data=depth, content_type="application/json"
    )
    body = assert_error(response, 400, "parse_error")
    assert "deep" in body["message"]
    assert not CartLine.objects.exists()


def test_json_nested_within_the_limit_is_read_as_usual(customer_client):
    item = stocked(warehouse(), 5)
    body = {"variant": item.pk, "quantity": 2, "x": [[[[[[{"y": [[]]}]]]]]]}
    response = customer_client.post("/api/v1/cart/lines/", body, format="json")
    assert response.status_code == 201, response.content


def test_a_nul_inside_a_json_list_is_refused_naming_the_field(customer_client):
    response = customer_client.patch(
        "/api/v1/me/",
        {"preferences": {"favourite_categories": ["shirts", "\u0000"]}},
        format="json",
    )
    body = assert_error(response, 400, "invalid")
    assert body["extra"] == {"preferences": ["Null characters are not allowed."]}


def test_a_nul_in_a_json_key_or_a_lone_surrogate_is_refused(customer_client):
    for raw in ('{"preferences": {"\\u0000": 1}}', '{"first_name": "\\ud800"}'):
        response = customer_client.patch(
            "/api/v1/me/", data=raw, content_type="application/json"
        )
        assert_error(response, 400, "invalid")


def test_a_nul_in_a_form_body_is_refused(customer_client):
    response = customer_client.post("/api/v1/wishlists/", {"name": "a\x00b"})
    assert_error(response, 400)
    assert not Wishlist.objects.filter(name__startswith="a").exists()


@pytest.mark.parametrize("name", [0, 1.5, True, ["x"], {"x": 1}])
def test_a_text_field_refuses_what_is_not_text(customer_client, name):
    response = customer_client.post("/api/v1/wishlists/", {"name": name}, format="json")
    body = assert_error(response, 400, "invalid")
    assert "name" in body["extra"]
    assert not Wishlist.objects.exists()


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/wishlists/abc/",
        "/api/v1/wishlists/null,null/items/",
        "/api/v1/cart/lines/x/",
        "/api/v1/no-such-endpoint/",
        "/api/v2/",
    ],
)
def test_every_api_404_is_the_json_error_body(customer_client, url):
    assert_error(customer_client.get(url), 404, "not_found")


def test_drf_errors_take_the_same_shape():
    body = assert_error(APIClient().get("/api/v1/me/"), 401, "not_authenticated")
    assert body["extra"] == {}
    assert_error(APIClient().put("/api/v1/products/"), 405, "method_not_allowed")


@pytest.mark.parametrize("debug", [True, False])
@pytest.mark.parametrize("method", ["post", "patch", "delete", "get"])
def test_a_path_without_its_final_slash_is_a_json_404_saying_where_to_go(
    customer_client, settings, debug, method
):
    """Never a redirect (a POST's body would be lost) nor Django's refusal to make
    one under DEBUG (a 500)."""
    settings.DEBUG = debug
    response = getattr(customer_client, method)(
        "/api/v1/checkout/buy-now", {}, format="json"
    )
    body = assert_error(response, 404, "not_found")
    assert "/api/v1/checkout/buy-now/" in body["message"]
    unknown = assert_error(customer_client.post("/api/v1/nothing-here", {}), 404)
    assert unknown["message"] == "Not found."


def test_staff_pages_still_gain_their_final_slash(client):
    response = client.get("/staff/login")
    assert response.status_code == 301
    assert response["Location"] == "/staff/login/"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("page=0", "page"),
        ("page=-1", "page"),
        ("page=abc", "page"),
        ("page=", "page"),
        ("page_size=null", "page_size"),
        ("page_size=0", "page_size"),
        ("page_size=1.5", "page_size"),
    ],
)
def test_a_page_or_page_size_that_is_not_a_whole_number_from_1_is_a_400(
    customer_client, query, field
):
    body = assert_error(customer_client.get(f"/api/v1/wishlists/?{query}"), 400)
    assert field in body["extra"]


def test_a_page_past_the_last_is_a_404_and_a_large_page_size_counts_as_100(
    customer_client,
):
    assert_error(customer_client.get("/api/v1/orders/?page=2"), 404, "not_found")
    listed = customer_client.get("/api/v1/wishlists/?page=1&page_size=1000")
    assert listed.status_code == 200, listed.content


@pytest.mark.parametrize("store", ["null", "0", "-1", "x", "²"])
def test_a_store_that_is_not_a_shop_id_is_a_400(store):
    client = APIClient()
    item = stocked(warehouse(), 5)
    token = client.post("/api/v1/cart/").json()["token"]
    client.credentials(HTTP_X_CART_TOKEN=token)
    client.post("/api/v1/cart/lines/", {"variant": item.pk}, format="json")
    body = assert_error(client.get(f"/api/v1/cart/?store={store}"), 400)
    assert "store" in body["extra"]


def test_the_error_body_is_documented_for_every_error_of_every_operation(client):
    schema = json.loads(client.get("/api/schema/?format=json").content)
    undocumented = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            if "404" not in responses:
                undocumented.append(f"{method} {path} 404")
            for code, response in responses.items():
                if code.startswith("4"):
                    content = response.get("content", {}).get("application/json", {})
                    if content.get("schema") != {"$ref": "#/components/schemas/Error"}:
                        undocumented.append(f"{method} {path} {code}")
    assert undocumented == []


def test_the_schema_says_which_fields_may_be_null_and_what_a_patch_needs(client):
    schema = json.loads(client.get("/api/schema/?format=json").content)
    components = schema["components"]["schemas"]
    event = components["Event"]["properties"]
    assert event["by"]["nullable"] and event["location"]["nullable"]
    profile = components["Profile"]["properties"]
    assert profile["preferred_store_name"]["nullable"]
    line_update = schema["paths"]["/api/v1/cart/lines/{line_id}/"]["patch"]
    ref = line_update["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert components[ref.rsplit("/", 1)[1]]["required"] == ["quantity"]


@pytest.mark.parametrize("value", [0, 1, "true", None])
def test_a_json_flag_is_true_or_false_only(customer_client, value):
    response = customer_client.put(
        "/api/v1/me/consents/", {"push": value}, format="json"
    )
    body = assert_error(response, 400, "invalid")
    assert "push" in body["extra"]


def test_a_form_flag_is_read_from_its_text(customer_client):
    response = customer_client.put("/api/v1/me/consents/", {"push": "true"})
    assert response.status_code == 200, response.content


def test_an_id_larger_than_a_bigint_is_a_400_not_an_overflow(customer_client):
    for body in ({"variant": 2**64}, {"lines": [{"variant": 2**63, "quantity": 1}]}):
        response = customer_client.post("/api/v1/cart/lines/", body, format="json")
        assert_error(response, 400, "invalid")
    response = customer_client.get(f"/api/v1/cart/?fulfilment=pickup&store={2**63}")
    assert "store" in assert_error(response, 400)["extra"]


@pytest.mark.parametrize("url", ["/api/v1/auth/register/", "/api/v1/auth/token/"])
def test_a_json_body_that_is_not_an_object_is_a_400(url):
    response = APIClient().post(
        url, data="[null, null]", content_type="application/json"
    )
    assert_error(response, 400)


@pytest.mark.parametrize("longitude", [False, "9.19"])
def test_a_json_coordinate_is_a_number(longitude):
    client = APIClient()
    item = stocked(warehouse(), 5)
    token = client.post("/api/v1/cart/").json()["token"]
    client.credentials(HTTP_X_CART_TOKEN=token)
    client.post("/api/v1/cart/lines/", {"variant": item.pk}, format="json")
    address = {"line1": "Via Roma 1", "city": "Milano", "postcode": "20100"}
    body = {
        "fulfilment": "delivery",
        "email": "guest@example.com",
        "address": {**address, "latitude": 45.46, "longitude": longitude},
        "payment": {"method": "card_online", "token": "tok_visa"},
    }
    response = client.post("/api/v1/checkout/", body, format="json")
    assert "address" in assert_error(response, 400, "invalid")["extra"]
