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


def test_a_saved_price_keeps_its_list_and_variant_only_its_amount_changes(
    admin_client,
):
    """Moved to another list or variant, a price would take the item off sale in
    the markets selling at its list: on a saved price both are shown, not offered,
    and a change form sending others changes the amount alone."""
    price = francs(1).prices.get()
    other_list = PriceList.objects.create(code="CHF-B", name="Outlet", currency="CHF")
    other_variant = VariantFactory(sku="TEE-OTHER")
    url = reverse("admin:inventory_pricelistprice_change", args=[price.pk])

    page = admin_client.get(url).content.decode()
    assert 'name="price_list"' not in page and 'name="variant"' not in page
    assert 'name="price"' in page and "TEE-000" in page

    response = admin_client.post(
        url,
        {
            "price_list": other_list.pk,
            "variant": other_variant.pk,
            "price": "33.50",
            "_save": "Save",
        },
    )

    assert response.status_code == 302
    price.refresh_from_db()
    assert (price.price_list.code, price.variant.sku) == ("CHF", "TEE-000")
    assert price.price == Decimal("33.50")


def test_a_new_price_is_added_for_the_list_and_variant_chosen(admin_client):
    price_list = PriceList.objects.get(code="CHF")
    variant = VariantFactory(sku="TEE-NEW")
    url = reverse("admin:inventory_pricelistprice_add")

    page = admin_client.get(url).content.decode()
    assert 'name="price_list"' in page and 'name="variant"' in page

    response = admin_client.post(
        url,
        {"price_list": price_list.pk, "variant": variant.pk, "price": "40.00"},
    )

    assert response.status_code == 302
    added = PriceListPrice.objects.get(variant=variant)
    assert (added.price_list, added.price) == (price_list, Decimal("40.00"))
