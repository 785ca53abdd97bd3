"""A scanned code looked up before anything is sent (adjust, count, exchange)."""

import pytest
from django.urls import reverse

from tests.factories import UserFactory
from tests.inventory.staff_helpers import login_as

pytestmark = pytest.mark.django_db


def test_a_barcode_names_its_item(staff_client, variant):
    response = staff_client.get(
        reverse("staff:stock_code"), {"code": variant.barcode or variant.sku}
    )
    assert response.status_code == 200
    assert response.json()["sku"] == variant.sku
    assert response.json()["name"] == variant.name


def test_a_sku_in_any_case_names_its_item(staff_client, variant):
    response = staff_client.get(
        reverse("staff:stock_code"), {"code": variant.sku.lower()}
    )
    assert response.json()["sku"] == variant.sku


@pytest.mark.parametrize("code", ["NOPE-1", "", "x" * 300])
def test_an_unknown_code_says_so(staff_client, variant, code):
    response = staff_client.get(reverse("staff:stock_code"), {"code": code})
    assert response.status_code == 404
    assert response.json()["message"].startswith("No item with SKU or barcode")


def test_only_staff_look_codes_up(client, variant):
    login_as(client, UserFactory(role="customer"))
    response = client.get(reverse("staff:stock_code"), {"code": variant.sku})
    assert response.status_code == 302


def test_scan_fields_are_marked_for_the_scanner(staff_client):
    for name in ("stock_receive", "stock_adjust", "stock_count"):
        html = staff_client.get(reverse(f"staff:{name}")).content.decode()
        assert "data-scan-field" in html
    assert (
        'data-scan-form="add"'
        in staff_client.get(reverse("staff:stock_receive")).content.decode()
    )
    assert (
        'data-scan-form="select"'
        in staff_client.get(reverse("staff:stock_adjust")).content.decode()
    )
