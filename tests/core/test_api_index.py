"""``GET /api/v1/`` answers with where to start, and every address it names leads
to an operation of the API."""

from urllib.parse import urlsplit

import pytest
from django.urls import resolve


@pytest.mark.django_db
def test_the_api_address_names_its_docs_and_first_steps(api_client):
    response = api_client.get("/api/v1/")
    assert response.status_code == 200
    body = response.json()
    assert body["docs"] == "http://testserver/api/docs/"
    assert body["schema"] == "http://testserver/api/schema/"
    assert {"products", "cart", "checkout", "sign_in", "orders"} <= set(body["start"])
    for url in body["start"].values():
        path = urlsplit(url).path
        assert path.startswith("/api/v1/")
        assert resolve(path).url_name != "api-index", path
    assert api_client.get(body["start"]["products"]).status_code == 200


@pytest.mark.django_db
def test_the_index_is_an_operation_of_the_schema_with_its_answer(
    api_client, admin_user
):
    api_client.force_login(admin_user)
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    operation = schema["paths"]["/api/v1/"]["get"]
    answer = operation["responses"]["200"]["content"]["application/json"]["schema"]
    shape = schema["components"]["schemas"][answer["$ref"].rsplit("/", 1)[-1]]
    body = api_client.get("/api/v1/").json()
    assert set(shape["properties"]) == set(body)
    assert set(shape["required"]) == set(body)
