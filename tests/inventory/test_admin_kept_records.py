"""What sales were made at stays as it was in the inventory admin: a VAT rate is
changed by a new row from its date, never edited; a market that countries or shops
sell in, and a price a market sells at, are not deleted; a variant's SKU and barcode
are fixed once the stock ledger or an order names it."""

from datetime import date
from decimal import Decimal

import pytest
from django.contrib.admin import helpers
from django.urls import reverse

from inventory.models import (
    Location,
    Market,
    MarketCountry,
    PriceList,
    PriceListPrice,
    TaxRate,
    Variant,
)
from inventory.services.stock import receive_stock
from omnistore.accounts.models import Role
from orders.models import Order, OrderLine
from tests.factories import (
    LocationFactory,
    ProductFactory,
    UserFactory,
    VariantFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def hq(client):
    client.force_login(UserFactory(username="hq", role=Role.HQ))
    return client


# --- VAT rates -----------------------------------------------------------------


def test_a_saved_rate_keeps_its_rate_date_country_and_class(hq):
    rate = TaxRate.objects.get(
        country="IT", tax_class="standard", valid_from=date(2013, 10, 1)
    )
    url = reverse("admin:inventory_taxrate_change", args=[rate.pk])

    page = hq.get(url)
    response = hq.post(
        url,
        {
            "country": "FR",
            "tax_class": "reduced",
            "rate": "25",
            "valid_from": "2030-01-01",
            "note": "Law 2013/76",
        },
    )

    assert set(page.context["adminform"].form.fields) == {"note"}
    assert response.status_code == 302
    rate.refresh_from_db()
    assert (rate.country, rate.tax_class, rate.rate, rate.valid_from) == (
        "IT",
        "standard",
        Decimal("22.00"),
        date(2013, 10, 1),
    )
    assert rate.note == "Law 2013/76"


def test_a_new_rate_is_a_new_row_from_its_date(hq):
    response = hq.post(
        reverse("admin:inventory_taxrate_add"),
        {
            "country": "IT",
            "tax_class": "standard",
            "rate": "23",
            "valid_from": "2031-01-01",
        },
    )

    assert response.status_code == 302
    rates = TaxRate.objects.filter(country="IT", tax_class="standard")
    assert sorted(rates.values_list("rate", flat=True)) == [
        Decimal("22.00"),
        Decimal("23.00"),
    ]


# --- markets and prices --------------------------------------------------------


def delete(client, model: str, obj):
    url = reverse(f"admin:inventory_{model}_delete", args=[obj.pk])
    return client.post(url, {"post": "yes"})


def delete_selected(client, model: str, objs):
    return client.post(
        reverse(f"admin:inventory_{model}_changelist"),
        {
            "action": "delete_selected",
            helpers.ACTION_CHECKBOX_NAME: [obj.pk for obj in objs],
            "post": "yes",
        },
    )


def test_a_market_with_countries_is_not_deleted(hq):
    market = Market.objects.get(code="EU")

    page = hq.get(reverse("admin:inventory_market_delete", args=[market.pk]))
    response = delete(hq, "market", market)

    assert response.status_code == 200
    assert any("IT" in str(use) for use in page.context["protected"])
    assert Market.objects.filter(pk=market.pk).exists()
    assert market.countries.count() == 5


def test_a_market_its_shops_sell_in_is_not_deleted(hq):
    market = Market.objects.create(code="UK", name="United Kingdom", currency="GBP")
    MarketCountry.objects.create(market=market, country="GB")
    LocationFactory(code="LDN1", name="London Soho", country="GB")

    response = hq.post(
        reverse("admin:inventory_market_delete", args=[market.pk]), {"post": "yes"}
    )

    assert response.status_code == 200
    assert any("London Soho" in str(use) for use in response.context["protected"])
    assert Market.objects.filter(pk=market.pk).exists()
    assert market.countries.exists()


def test_markets_in_use_are_not_deleted_in_bulk_but_an_unused_one_is(hq):
    unused = Market.objects.create(code="UK", name="United Kingdom", currency="GBP")
    in_use = Market.objects.get(code="CH")

    refused = delete_selected(hq, "market", [unused, in_use])
    assert refused.status_code == 200
    assert Market.objects.filter(pk__in=[unused.pk, in_use.pk]).count() == 2

    deleted = delete_selected(hq, "market", [unused])
    assert deleted.status_code == 302
    assert not Market.objects.filter(pk=unused.pk).exists()


def test_a_price_a_market_sells_at_is_not_deleted(hq):
    price = PriceListPrice.objects.create(
        price_list=PriceList.objects.get(code="CHF"),
        variant=VariantFactory(),
        price=Decimal("45.00"),
    )

    single = delete(hq, "pricelistprice", price)
    bulk = delete_selected(hq, "pricelistprice", [price])

    assert single.status_code == 200 and bulk.status_code == 200
    assert "Switzerland" in str(single.context["protected"])
    assert PriceListPrice.objects.filter(pk=price.pk).exists()
    edited = hq.post(
        reverse("admin:inventory_pricelistprice_change", args=[price.pk]),
        {
            "price_list": price.price_list_id,
            "variant": price.variant_id,
            "price": "42.00",
        },
    )
    assert edited.status_code == 302
    price.refresh_from_db()
    assert price.price == Decimal("42.00")


def test_a_price_on_a_list_no_market_sells_at_may_be_deleted(hq):
    draft = PriceList.objects.create(code="GBP", name="Pounds", currency="GBP")
    price = PriceListPrice.objects.create(
        price_list=draft, variant=VariantFactory(), price=Decimal("39.00")
    )

    response = delete(hq, "pricelistprice", price)

    assert response.status_code == 302
    assert not PriceListPrice.objects.filter(pk=price.pk).exists()


# --- a variant's SKU and barcode -----------------------------------------------


def variant_data(variant, **overrides) -> dict:
    return {
        "product": variant.product_id,
        "sku": variant.sku,
        "barcode": variant.barcode,
        "price": "49.90",
        "weight_grams": "0",
        "attributes": "{}",
        "active": "on",
        **overrides,
    }


def sold(variant) -> None:
    """An order line for ``variant``, as a sale recorded without a ledger row of
    its own leaves it."""
    order = Order.objects.create(
        number="W000001",
        channel="web",
        fulfilment_method="pickup",
        currency="EUR",
        subtotal=Decimal("49.90"),
        total=Decimal("49.90"),
    )
    OrderLine.objects.create(
        order=order,
        variant=variant,
        sku=variant.sku,
        name="Oxford shirt",
        quantity=1,
        unit_price=Decimal("49.90"),
        line_total=Decimal("49.90"),
    )


@pytest.mark.parametrize(
    "record",
    [
        lambda v: receive_stock(variant=v, location=LocationFactory(), quantity=3),
        sold,
    ],
    ids=["stock ledger", "order line"],
)
def test_a_variant_on_record_keeps_its_sku_and_barcode(hq, record):
    variant = VariantFactory(sku="SHIRT-BLU-M", barcode="8000000000017")
    record(variant)

    response = hq.post(
        reverse("admin:inventory_variant_change", args=[variant.pk]),
        variant_data(variant, sku="-1", barcode="-1", colour="Navy"),
    )

    assert response.status_code == 302
    variant.refresh_from_db()
    assert (variant.sku, variant.barcode, variant.colour) == (
        "SHIRT-BLU-M",
        "8000000000017",
        "Navy",
    )


def test_a_new_variant_may_still_correct_its_sku(hq):
    variant = VariantFactory(sku="SHIRT-BLU-N", barcode="8000000000017")

    response = hq.post(
        reverse("admin:inventory_variant_change", args=[variant.pk]),
        variant_data(variant, sku="SHIRT-BLU-M", barcode="8000000000024"),
    )

    assert response.status_code == 302
    variant.refresh_from_db()
    assert (variant.sku, variant.barcode) == ("SHIRT-BLU-M", "8000000000024")


def test_the_product_page_keeps_the_sku_of_a_variant_on_record(hq):
    product = ProductFactory(name="Oxford shirt")
    kept = VariantFactory(product=product, sku="SHIRT-BLU-M", barcode="80001")
    fresh = VariantFactory(product=product, sku="SHIRT-BLU-X", barcode="80002")
    receive_stock(variant=kept, location=LocationFactory(), quantity=3)
    rows = {}
    for n, variant in enumerate([kept, fresh]):
        rows |= {
            f"variants-{n}-id": variant.pk,
            f"variants-{n}-product": product.pk,
            f"variants-{n}-sku": f"-{n}",
            f"variants-{n}-barcode": f"-{n}",
            f"variants-{n}-price": "49.90",
            f"variants-{n}-weight_grams": "0",
            f"variants-{n}-active": "on",
        }

    response = hq.post(
        reverse("admin:inventory_product_change", args=[product.pk]),
        {
            "name": "Oxford shirt",
            "category": product.category_id,
            "tax_class": "standard",
            "active": "on",
            "variants-TOTAL_FORMS": "2",
            "variants-INITIAL_FORMS": "2",
            **rows,
            "images-TOTAL_FORMS": "0",
            "images-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302
    kept.refresh_from_db()
    fresh.refresh_from_db()
    assert (kept.sku, kept.barcode) == ("SHIRT-BLU-M", "80001")
    assert (fresh.sku, fresh.barcode) == ("-1", "-1")


def _change_form_data(page) -> dict:
    """What the market's change page would post back as it is shown."""
    data = {}
    for name, value in page.context["adminform"].form.initial.items():
        data[name] = "" if value is None else value
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        for name, value in formset.management_form.initial.items():
            data[f"{formset.prefix}-{name}"] = value
        for form in formset.forms:
            for name, field in form.fields.items():
                value = form.initial.get(name, field.initial)
                if hasattr(value, "pk"):
                    value = value.pk
                data[form.add_prefix(name)] = "" if value is None else value
    return data


def test_a_country_its_shops_sell_in_is_not_taken_out_of_the_market(hq):
    market = Market.objects.create(code="IE", name="Ireland", currency="EUR")
    MarketCountry.objects.create(market=market, country="IE")
    LocationFactory(code="DUB1", name="Dublin Grafton", country="IE")
    url = reverse("admin:inventory_market_change", args=[market.pk])
    data = _change_form_data(hq.get(url))

    removed = hq.post(url, {**data, "countries-0-DELETE": "on"})
    renamed = hq.post(url, {**data, "countries-0-country": "GB"})

    for response in (removed, renamed):
        assert response.status_code == 200
        assert "Dublin Grafton sell in this market" in response.content.decode()
    assert list(market.countries.values_list("country", flat=True)) == ["IE"]
    saved = hq.post(url, data)
    assert saved.status_code == 302  # unchanged, it saves


def test_shops_and_variants_are_not_deleted_in_bulk(hq):
    """A whole selection's confirmation would list every level and movement of
    it: shops and variants are deleted one at a time, from their own page."""
    shop, variant = LocationFactory(code="BLK1"), VariantFactory()
    for model, obj in (("location", shop), ("variant", variant)):
        changelist = hq.get(reverse(f"admin:inventory_{model}_changelist"))
        assert "delete_selected" not in changelist.content.decode()
        response = delete_selected(hq, model, [obj])
        assert response.status_code in (200, 302)  # no such action: nothing done
    assert Location.objects.filter(pk=shop.pk).exists()
    assert Variant.objects.filter(pk=variant.pk).exists()
