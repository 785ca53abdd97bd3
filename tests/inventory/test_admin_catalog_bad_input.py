"""A catalog form posted with a value that is not an id in a field chosen by
autocomplete (a category's parent, a product's category) is refused with the
field's error, shown again as a form; never a server error."""

import pytest

from inventory.models import Category, Product
from tests.factories import CategoryFactory

pytestmark = pytest.mark.django_db
NOT_IDS = ["abc", "1e309", "1.5", str(2**70)]


def _errors(response) -> dict:
    return response.context["adminform"].form.errors


@pytest.mark.parametrize("value", NOT_IDS)
def test_a_category_with_a_parent_that_is_no_id_is_refused(admin_client, value):
    category = CategoryFactory(name="Shirts", slug="shirts")

    response = admin_client.post(
        f"/admin/inventory/category/{category.pk}/change/",
        {"name": "Shirts", "slug": "shirts", "parent": value, "_save": "Save"},
    )

    assert response.status_code == 200
    assert "parent" in _errors(response)
    category.refresh_from_db()
    assert category.parent_id is None


@pytest.mark.parametrize("value", NOT_IDS)
def test_a_product_with_a_category_that_is_no_id_is_refused(admin_client, value):
    products = Product.objects.count()

    response = admin_client.post(
        "/admin/inventory/product/add/", {"name": "Shirt", "category": value}
    )

    assert response.status_code == 200
    assert "category" in _errors(response)
    assert Product.objects.count() == products
    assert Category.objects.count() == 0


def test_a_real_choice_is_shown_again_when_another_field_is_refused(admin_client):
    parent = CategoryFactory(name="Tops", slug="tops")

    response = admin_client.post(
        "/admin/inventory/category/add/",
        {"name": "", "slug": "", "parent": parent.pk, "_save": "Save"},
    )

    assert response.status_code == 200
    assert "name" in _errors(response)
    assert f'<option value="{parent.pk}" selected>Tops</option>' in (
        response.content.decode()
    )
