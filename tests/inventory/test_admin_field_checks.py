"""A value the database refuses (a latitude off the globe, a negative price or fee, a
VAT rate of 100 % or more) is refused by the admin form beside its field, in words,
and nothing is saved; the database constraints still hold for every other writer."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from inventory.models import Location, Market, PriceList, PriceListPrice, TaxRate
from omnistore.accounts.models import Role
from tests.factories import LocationFactory, UserFactory, VariantFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def hq(client):
    """Headquarters edit the catalogue, locations, markets and rates."""
    client.force_login(UserFactory(username="hq", role=Role.HQ))
    return client


def refused_at(response, field: str) -> list[str]:
    """The errors shown beside ``field``; none at the top of the form."""
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert not form.non_field_errors()
    return form.errors[field]


def location_data(**overrides) -> dict:
    return {
        "code": "NEW01",
        "name": "Nowhere",
        "kind": "shop",
        "country": "IT",
        "latitude": "45.4642",
        "longitude": "9.19",
        "active": "on",
        **overrides,
    }


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("latitude", "95", "Latitude must be between -90 and 90."),
        ("latitude", "-90.5", "Latitude must be between -90 and 90."),
        ("longitude", "181", "Longitude must be between -180 and 180."),
        ("longitude", "-180.000001", "Longitude must be between -180 and 180."),
    ],
)
def test_a_location_off_the_globe_is_refused_at_its_coordinate(
    hq, field, value, message
):
    response = hq.post(
        reverse("admin:inventory_location_add"), location_data(**{field: value})
    )

    assert refused_at(response, field) == [message]
    assert not Location.objects.filter(code="NEW01").exists()


def test_moving_a_shop_off_the_globe_leaves_it_where_it_was(hq):
    shop = LocationFactory(code="MI01", name="Milano Centro")
    url = reverse("admin:inventory_location_change", args=[shop.pk])

    response = hq.post(
        url, location_data(code="MI01", name="Milano Centro", latitude="-123")
    )

    assert refused_at(response, "latitude") == ["Latitude must be between -90 and 90."]
    shop.refresh_from_db()
    assert shop.latitude == Decimal("45.464200")
    edge = hq.post(  # the poles and the antimeridian are on the globe
        url,
        location_data(
            code="MI01", name="Milano Centro", latitude="-90", longitude="180"
        ),
    )
    assert edge.status_code == 302
    shop.refresh_from_db()
    assert (shop.latitude, shop.longitude) == (Decimal("-90"), Decimal("180"))
    with pytest.raises(IntegrityError), transaction.atomic():  # for other writers
        Location.objects.filter(pk=shop.pk).update(latitude=Decimal("91"))


def test_a_negative_price_is_refused_at_the_price(hq):
    variant = VariantFactory(sku="TEE-1", price=Decimal("20.00"))

    response = hq.post(
        reverse("admin:inventory_variant_change", args=[variant.pk]),
        {
            "product": variant.product_id,
            "sku": "TEE-1",
            "price": "-1",
            "weight_grams": "0",
            "attributes": "{}",
            "active": "on",
        },
    )

    assert refused_at(response, "price") == ["A price is zero or more."]
    variant.refresh_from_db()
    assert variant.price == Decimal("20.00")


def test_a_negative_price_list_price_is_refused_at_the_price(hq):
    response = hq.post(
        reverse("admin:inventory_pricelistprice_add"),
        {
            "price_list": PriceList.objects.get(code="CHF").pk,
            "variant": VariantFactory().pk,
            "price": "-0.01",
        },
    )

    assert refused_at(response, "price") == ["A price is zero or more."]
    assert not PriceListPrice.objects.exists()


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ("delivery_fee", "A delivery fee is zero or more."),
        ("free_delivery_from", "A threshold is zero or more (empty: no threshold)."),
    ],
)
def test_a_negative_delivery_fee_or_threshold_is_refused_at_its_field(
    hq, field, message
):
    market = Market.objects.get(code="CH")
    before = (market.delivery_fee, market.free_delivery_from)
    data = {
        "code": market.code,
        "name": market.name,
        "currency": market.currency,
        "delivery_fee": "9.00",
        "free_delivery_from": "",
        "countries-TOTAL_FORMS": "0",
        "countries-INITIAL_FORMS": "0",
        field: "-5",
    }

    response = hq.post(reverse("admin:inventory_market_change", args=[market.pk]), data)

    assert refused_at(response, field) == [message]
    market.refresh_from_db()
    assert (market.delivery_fee, market.free_delivery_from) == before


@pytest.mark.parametrize("rate", ["100", "-1"])
def test_a_vat_rate_outside_0_to_100_percent_is_refused_at_the_rate(hq, rate):
    rates = TaxRate.objects.count()
    data = {"country": "CH", "tax_class": "standard", "valid_from": "2031-01-01"}

    response = hq.post(reverse("admin:inventory_taxrate_add"), {**data, "rate": rate})

    assert refused_at(response, "rate") == [
        "A rate is a percentage from 0 up to, but not including, 100."
    ]
    assert TaxRate.objects.count() == rates
    highest = hq.post(reverse("admin:inventory_taxrate_add"), {**data, "rate": "99.99"})
    assert highest.status_code == 302
    assert TaxRate.objects.get(country="CH", valid_from="2031-01-01").rate == (
        Decimal("99.99")
    )
