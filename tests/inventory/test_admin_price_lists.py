"""A price list's prices, hundreds of them, on a page of their own: listed with SKU,
product and currency, searched, edited in the list, in a fixed number of queries."""

from decimal import Decimal

import pytest
from django.urls import reverse

from inventory.models import PriceList, PriceListPrice
from tests.factories import ProductFactory, VariantFactory

pytestmark = pytest.mark.django_db


def francs(count: int) -> PriceList:
    price_list = PriceList.objects.get(code="CHF")
    for n in range(count):
        variant = VariantFactory(
            sku=f"TEE-{n:03d}", product=ProductFactory(name=f"Tee {n}")
        )
        PriceListPrice.objects.create(
            price_list=price_list, variant=variant, price=Decimal("30.00") + n
        )
    return price_list


@pytest.mark.parametrize("count", [3, 40])
def test_the_price_list_and_its_prices_cost_a_fixed_number_of_queries(
    admin_client, django_assert_max_num_queries, count
):
    price_list = francs(count)
    with django_assert_max_num_queries(12):
        page = admin_client.get(
            reverse("admin:inventory_pricelist_change", args=[price_list.pk])
        )
    assert f"{count} prices →" in page.content.decode()
    with django_assert_max_num_queries(14):
        prices = admin_client.get(
            reverse("admin:inventory_pricelistprice_changelist"),
            {"price_list__id__exact": price_list.pk},
        )
    body = prices.content.decode()
    assert prices.status_code == 200
    assert "TEE-000" in body and "Tee 0" in body and "CHF" in body


def test_prices_are_found_by_sku_or_product(admin_client):
    francs(3)
    found = admin_client.get(
        reverse("admin:inventory_pricelistprice_changelist"), {"q": "TEE-002"}
    )
    assert [p.variant.sku for p in found.context["cl"].result_list] == ["TEE-002"]
