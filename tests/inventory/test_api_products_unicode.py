"""Ids and page numbers are ASCII digits: a digit of another script is not read as
the number it stands for."""

import pytest

from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def test_a_product_id_in_other_digits_is_not_found(api_client):
    product = ProductFactory(pk=3, active=True)
    assert api_client.get(f"/api/v1/products/{product.pk}/").status_code == 200
    for typed in ("٣", "３", "03٣"):
        response = api_client.get(f"/api/v1/products/{typed}/")
        assert response.status_code == 404, typed
        assert response.json()["code"] == "not_found"


@pytest.mark.parametrize("page", ["١", "１", "²"])
def test_a_page_number_in_other_digits_is_a_400(api_client, page):
    response = api_client.get("/api/v1/products/", {"page": page})
    assert response.status_code == 400
    assert "page" in response.json()["extra"]
