"""The published OpenAPI document is generated from the code and must stay valid."""

import re

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_schema_generates_without_warnings_and_validates(tmp_path):
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    text = target.read_text()
    for path in (
        "/api/v1/products/",
        "/api/v1/me/",
        "/api/v1/checkout/",
        "/api/v1/orders/",
    ):
        assert path in text


@pytest.mark.django_db
def test_schema_and_docs_are_served(client):
    assert client.get("/api/schema/").status_code == 200
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    # The Swagger UI is served from our static files, no CDN. (Not a search for "cdn"
    # in the page: its CSRF token is random letters and can spell it.)
    sources = re.findall(rb'(?:src|href)="([^"]*)"', docs.content)
    assert sources
    assert [s for s in sources if not s.startswith(b"/static/")] == []
    assert b"//cdn" not in docs.content and b"unpkg.com" not in docs.content


@pytest.mark.django_db
def test_options_on_every_path_describes_it_without_an_error():
    """OPTIONS lists each method's fields from its serializers: it must be able to
    read every one, for a signed-in customer as for anyone."""
    from rest_framework.test import APIClient

    from tests.customers.factories import CustomerUserFactory

    schema = APIClient().get("/api/schema/", HTTP_ACCEPT="application/json").json()
    paths = [re.sub(r"\{[^}]+\}", "1", path) for path in schema["paths"]]
    signed_in = APIClient()
    signed_in.force_authenticate(CustomerUserFactory())
    for client in (APIClient(), signed_in):
        for path in paths:
            response = client.options(path)
            assert response.status_code < 500, (path, response.status_code)
