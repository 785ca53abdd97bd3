"""What HQ types into the inventory admin is checked at its field: a variant's
attributes are a JSON object, a currency is a real ISO 4217 code (a market's the one
its prices are in), a country an ISO 3166-1 two-letter code. A bad value is a form
error beside its field and nothing is saved; never a server error."""

from decimal import Decimal

import pytest
from django.urls import reverse

from inventory.models import (
    LegalEntity,
    Location,
    Market,
    MarketCountry,
    PriceList,
    PriceListPrice,
    TaxRate,
    Variant,
)
from omnistore.accounts.models import Role
from tests.factories import (
    CategoryFactory,
    LocationFactory,
    UserFactory,
    VariantFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def hq(client):
    client.force_login(UserFactory(username="hq", role=Role.HQ))
    return client


def errors_at(response, field: str) -> list[str]:
    assert response.status_code == 200
    return response.context["adminform"].form.errors.get(field, [])


# --- a variant's attributes ----------------------------------------------------


def variant_data(variant, **overrides) -> dict:
    return {
        "product": variant.product_id,
        "sku": variant.sku,
        "barcode": variant.barcode,
        "price": "20.00",
        "weight_grams": "0",
        "attributes": '{"fit": "slim"}',
        "active": "on",
        **overrides,
    }


@pytest.mark.parametrize(
    "typed",
    ["NaN", "null", "Infinity", "[1, 2]", '"slim"', "42", '{"width": NaN}', "1e400"],
)
def test_attributes_that_are_not_a_json_object_are_refused_at_the_field(hq, typed):
    variant = VariantFactory(attributes={"fit": "regular"})

    response = hq.post(
        reverse("admin:inventory_variant_change", args=[variant.pk]),
        variant_data(variant, attributes=typed),
    )

    assert errors_at(response, "attributes")
    variant.refresh_from_db()
    assert variant.attributes == {"fit": "regular"}


def test_attributes_left_empty_are_no_attributes(hq):
    variant = VariantFactory(attributes={"fit": "regular"})
    url = reverse("admin:inventory_variant_change", args=[variant.pk])

    emptied = hq.post(url, variant_data(variant, attributes=""))

    assert emptied.status_code == 302
    variant.refresh_from_db()
    assert variant.attributes == {}
    saved = hq.post(url, variant_data(variant, attributes='{"fit": "slim"}'))
    assert saved.status_code == 302
    variant.refresh_from_db()
    assert variant.attributes == {"fit": "slim"}


def test_a_variant_added_on_the_product_page_has_no_attributes(hq):
    category = CategoryFactory()
    form = {
        "name": "Linen shirt",
        "category": category.pk,
        "tax_class": "standard",
        "active": "on",
        "variants-TOTAL_FORMS": "1",
        "variants-INITIAL_FORMS": "0",
        "variants-0-sku": "LINEN-M",
        "variants-0-price": "59.00",
        "variants-0-weight_grams": "0",
        "variants-0-active": "on",
        "variants-0-attributes": "null",
        "images-TOTAL_FORMS": "0",
        "images-INITIAL_FORMS": "0",
    }

    response = hq.post(reverse("admin:inventory_product_add"), form)

    assert response.status_code == 302
    assert Variant.objects.get(sku="LINEN-M").attributes == {}


# --- currencies ----------------------------------------------------------------


def price_list_data(price_list, **overrides) -> dict:
    return {"code": price_list.code, "name": price_list.name, **overrides}


@pytest.mark.parametrize("currency", ["[]", "-1", "NaN", "ZZZ", "EU", "EURO", ""])
def test_a_price_list_currency_that_is_no_currency_is_refused(hq, currency):
    price_list = PriceList.objects.create(code="GBP", name="Pounds", currency="GBP")

    response = hq.post(
        reverse("admin:inventory_pricelist_change", args=[price_list.pk]),
        price_list_data(price_list, currency=currency),
    )

    assert errors_at(response, "currency")
    price_list.refresh_from_db()
    assert price_list.currency == "GBP"


def test_a_new_price_list_takes_any_iso_currency_in_upper_case(hq):
    response = hq.post(
        reverse("admin:inventory_pricelist_add"),
        {"code": "UK", "name": "Pounds", "currency": "gbp"},
    )

    assert response.status_code == 302
    assert PriceList.objects.get(code="UK").currency == "GBP"


def test_a_price_list_with_prices_keeps_its_currency(hq):
    price_list = PriceList.objects.create(code="GBP", name="Pounds", currency="GBP")
    PriceListPrice.objects.create(
        price_list=price_list, variant=VariantFactory(), price=Decimal("25.00")
    )
    url = reverse("admin:inventory_pricelist_change", args=[price_list.pk])

    response = hq.post(url, price_list_data(price_list, currency="USD"))

    assert errors_at(response, "currency")
    price_list.refresh_from_db()
    assert price_list.currency == "GBP"
    renamed = hq.post(url, price_list_data(price_list, name="Sterling", currency="GBP"))
    assert renamed.status_code == 302
    price_list.refresh_from_db()
    assert (price_list.name, price_list.currency) == ("Sterling", "GBP")


def test_an_empty_price_list_may_change_its_currency(hq):
    price_list = PriceList.objects.create(code="GBP", name="Pounds", currency="GBP")

    response = hq.post(
        reverse("admin:inventory_pricelist_change", args=[price_list.pk]),
        price_list_data(price_list, currency="USD"),
    )

    assert response.status_code == 302
    price_list.refresh_from_db()
    assert price_list.currency == "USD"


def test_a_price_list_a_market_sells_at_keeps_its_currency(hq):
    price_list = PriceList.objects.get(code="CHF")
    assert not price_list.prices.exists() and price_list.markets.exists()

    response = hq.post(
        reverse("admin:inventory_pricelist_change", args=[price_list.pk]),
        price_list_data(price_list, currency="EUR"),
    )

    assert errors_at(response, "currency")
    price_list.refresh_from_db()
    assert price_list.currency == "CHF"


def market_data(market, **overrides) -> dict:
    return {
        "code": market.code,
        "name": market.name,
        "currency": market.currency,
        "price_list": market.price_list_id or "",
        "legal_entity": market.legal_entity_id or "",
        "delivery_fee": "0",
        "free_delivery_from": "",
        "countries-TOTAL_FORMS": "0",
        "countries-INITIAL_FORMS": "0",
        **overrides,
    }


@pytest.mark.parametrize("currency", ["ZZZ", "-1", "NaN", "[]", "chf!"])
def test_a_market_currency_that_is_no_currency_is_refused(hq, currency):
    market = Market.objects.get(code="CH")

    response = hq.post(
        reverse("admin:inventory_market_change", args=[market.pk]),
        market_data(market, currency=currency),
    )

    assert errors_at(response, "currency")
    market.refresh_from_db()
    assert market.currency == "CHF"


def test_a_market_sells_in_the_currency_of_its_prices(hq, settings):
    settings.OMNISTORE_CURRENCY = "EUR"
    swiss = Market.objects.get(code="CH")
    europe = Market.objects.get(code="EU")

    other_than_its_list = hq.post(
        reverse("admin:inventory_market_change", args=[swiss.pk]),
        market_data(swiss, currency="EUR"),
    )
    other_than_the_catalogue = hq.post(
        reverse("admin:inventory_market_change", args=[europe.pk]),
        market_data(europe, currency="CHF"),
    )

    assert errors_at(other_than_its_list, "currency")
    assert errors_at(other_than_the_catalogue, "currency")
    assert Market.objects.get(code="CH").currency == "CHF"
    assert Market.objects.get(code="EU").currency == "EUR"
    kept = hq.post(
        reverse("admin:inventory_market_change", args=[swiss.pk]),
        market_data(swiss, name="Schweiz"),
    )
    assert kept.status_code == 302
    assert Market.objects.get(code="CH").name == "Schweiz"


# --- countries -----------------------------------------------------------------


NOT_COUNTRIES = ["-1", "ZZ", "I", "ITA", "1T", "[]"]


@pytest.mark.parametrize("country", NOT_COUNTRIES)
def test_a_tax_rate_for_no_country_is_refused(hq, country):
    rates = TaxRate.objects.count()

    response = hq.post(
        reverse("admin:inventory_taxrate_add"),
        {
            "country": country,
            "tax_class": "standard",
            "rate": "20",
            "valid_from": "2031-01-01",
        },
    )

    assert errors_at(response, "country")
    assert TaxRate.objects.count() == rates


def test_a_tax_rate_country_is_kept_in_upper_case(hq):
    response = hq.post(
        reverse("admin:inventory_taxrate_add"),
        {
            "country": "be",
            "tax_class": "standard",
            "rate": "21",
            "valid_from": "2031-01-01",
        },
    )

    assert response.status_code == 302
    assert TaxRate.objects.get(valid_from="2031-01-01").country == "BE"


def location_data(location, **overrides) -> dict:
    return {
        "code": location.code,
        "name": location.name,
        "kind": location.kind,
        "country": location.country,
        "latitude": str(location.latitude),
        "longitude": str(location.longitude),
        "active": "on",
        **overrides,
    }


@pytest.mark.parametrize("country", NOT_COUNTRIES)
def test_a_location_in_no_country_is_refused(hq, country):
    shop = LocationFactory(code="MI01", country="IT")

    response = hq.post(
        reverse("admin:inventory_location_change", args=[shop.pk]),
        location_data(shop, country=country),
    )

    assert errors_at(response, "country")
    assert Location.objects.get(pk=shop.pk).country == "IT"
    moved = hq.post(
        reverse("admin:inventory_location_change", args=[shop.pk]),
        location_data(shop, country="ch"),
    )
    assert moved.status_code == 302
    assert Location.objects.get(pk=shop.pk).country == "CH"


def test_a_market_country_that_is_no_country_is_refused(hq):
    market = Market.objects.get(code="CH")
    data = market_data(
        market,
        **{
            "countries-TOTAL_FORMS": "1",
            "countries-INITIAL_FORMS": "0",
            "countries-0-country": "-1",
        },
    )

    response = hq.post(reverse("admin:inventory_market_change", args=[market.pk]), data)

    assert response.status_code == 200
    formset = response.context["inline_admin_formsets"][0].formset
    assert "country" in formset.errors[0]
    assert list(market.countries.values_list("country", flat=True)) == ["CH"]
    added = hq.post(
        reverse("admin:inventory_market_change", args=[market.pk]),
        {**data, "countries-0-country": "li"},
    )
    assert added.status_code == 302
    assert MarketCountry.objects.get(country="LI").market == market


def test_a_seller_in_no_country_is_refused_at_the_country(hq):
    data = {
        "name": "Omnistore AG",
        "address": "Bahnhofstrasse 1, Zürich",
        "vat_number": "CHE-116.281.710 MWST",
    }

    refused = hq.post(
        reverse("admin:inventory_legalentity_add"), {**data, "country": "-1"}
    )
    saved = hq.post(
        reverse("admin:inventory_legalentity_add"), {**data, "country": "ch"}
    )

    assert errors_at(refused, "country")
    assert saved.status_code == 302
    assert LegalEntity.objects.get().country == "CH"
