"""A body Django will not read (too large, too many form fields) is the API's JSON
error, answered before anything is written; not Django's own 400 page."""

import pytest
from rest_framework.test import APIClient

from orders.models import CartLine
from tests.customers.factories import CustomerUserFactory
from tests.orders.factories import stocked, warehouse

pytestmark = pytest.mark.django_db


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["code"] == code, body
    return body


@pytest.fixture
def small_bodies(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10


def test_a_body_past_the_upload_limit_is_a_json_413_and_adds_nothing(small_bodies):
    variant = stocked(warehouse(), 5)
    client = APIClient()
    client.force_authenticate(CustomerUserFactory())
    body = {"variant": variant.pk, "quantity": 1, "via_wishlist": "x" * 2000}
    response = client.post("/api/v1/cart/lines/", body, format="json")
    body = assert_error(response, 413, "too_large")
    assert body["message"] == "The request body is too large."
    assert not CartLine.objects.exists()


def test_a_sign_in_past_the_upload_limit_is_a_json_413(small_bodies):
    """The sign-in throttle reads the body before the view does."""
    body = {"email": "a@example.com", "password": "x" * 2000}
    response = APIClient().post("/api/v1/auth/token/", body, format="json")
    assert_error(response, 413, "too_large")


def test_a_form_with_too_many_fields_is_a_json_400(small_bodies):
    client = APIClient()
    client.force_authenticate(CustomerUserFactory())
    form = "&".join(f"f{i}=1" for i in range(20))
    response = client.post(
        "/api/v1/wishlists/", form, content_type="application/x-www-form-urlencoded"
    )
    assert_error(response, 400, "invalid")


def test_the_schema_documents_the_413_of_every_body(client):
    paths = client.get("/api/schema/?format=json").json()["paths"]
    for path, operations in paths.items():
        for method in ("post", "put", "patch"):
            if method in operations:
                assert "413" in operations[method]["responses"], (path, method)
