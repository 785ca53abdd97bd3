"""A list's ``page`` is a whole number from 1, as the schema says: anything else,
``last`` included, is the same 400 naming ``page``; a body Django refuses to read
is a 400 ``invalid`` with its errors repeated at the top level, as every 400
``invalid`` is."""

import pytest
from rest_framework.test import APIClient

from tests.customers.factories import CustomerUserFactory
from tests.orders.factories import stocked, warehouse

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("page", ["last", "0", "first"])
def test_a_page_that_is_not_a_number_from_1_is_a_400_on_page(page):
    stocked(warehouse(), 1)
    client = APIClient()

    response = client.get("/api/v1/products/", {"page": page})

    assert response.status_code == 400, response.json()
    body = response.json()
    assert body["code"] == "invalid"
    assert body["extra"] == {"page": ["A whole number from 1."]}
    assert body["page"] == body["extra"]["page"]
    assert client.get("/api/v1/products/", {"page": "1"}).status_code == 200


def test_the_schema_s_page_is_a_number_from_1(client):
    schema = client.get("/api/schema/?format=json").json()
    (page,) = [
        p
        for p in schema["paths"]["/api/v1/products/"]["get"]["parameters"]
        if p["name"] == "page"
    ]
    assert page["schema"] == {"type": "integer", "minimum": 1}


def test_a_form_with_too_many_fields_repeats_its_error_at_the_top_level(settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    client = APIClient()
    client.force_authenticate(CustomerUserFactory())
    form = "&".join(f"f{i}=1" for i in range(20))

    response = client.post(
        "/api/v1/wishlists/", form, content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert body["non_field_errors"] == body["extra"]["non_field_errors"]
