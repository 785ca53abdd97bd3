"""Managers' admin for VAT rates, markets, price lists and legal entities, and the
tax class every product must have."""

import pytest
from django.urls import reverse

from inventory.models import (
    LegalEntity,
    Market,
    PriceList,
    Product,
    TaxClass,
    TaxRate,
)
from tests.factories import CategoryFactory, ProductFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("model", "find"),
    [
        ("taxrate", lambda: TaxRate.objects.filter(country="CH").first()),
        ("market", lambda: Market.objects.get(code="CH")),
        ("pricelist", lambda: PriceList.objects.get(code="CHF")),
        (
            "legalentity",
            lambda: LegalEntity.objects.create(
                name="Omnistore AG",
                address="Bahnhofstrasse 1, Zürich",
                country="CH",
                vat_number="CHE-116.281.710 MWST",
            ),
        ),
    ],
)
def test_every_tax_model_has_a_changelist_and_a_change_page(admin_client, model, find):
    obj = find()
    assert (
        admin_client.get(reverse(f"admin:inventory_{model}_changelist")).status_code
        == 200
    )
    change = admin_client.get(reverse(f"admin:inventory_{model}_change", args=[obj.pk]))
    assert change.status_code == 200


def test_a_product_cannot_be_saved_without_a_tax_class(admin_client):
    category = CategoryFactory()
    form = {
        "name": "Notebook",
        "category": category.pk,
        "active": "on",
        "tax_class": "",
        "variants-TOTAL_FORMS": "0",
        "variants-INITIAL_FORMS": "0",
        "images-TOTAL_FORMS": "0",
        "images-INITIAL_FORMS": "0",
    }

    refused = admin_client.post(reverse("admin:inventory_product_add"), form)

    assert refused.status_code == 200
    assert "tax_class" in refused.context["adminform"].form.errors
    assert not Product.objects.exists()
    saved = admin_client.post(
        reverse("admin:inventory_product_add"),
        {**form, "tax_class": TaxClass.SUPER_REDUCED},
    )
    assert saved.status_code == 302
    assert Product.objects.get().tax_class == TaxClass.SUPER_REDUCED


def test_products_are_filtered_by_tax_class(admin_client):
    ProductFactory(name="Novel", tax_class=TaxClass.SUPER_REDUCED)
    ProductFactory(name="Shirt")
    response = admin_client.get(
        reverse("admin:inventory_product_changelist"), {"tax_class": "super_reduced"}
    )
    assert [p.name for p in response.context["cl"].result_list] == ["Novel"]
