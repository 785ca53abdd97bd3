"""Shops, a warehouse, a shop associate logged in, and items for the staff stock
screens."""

from decimal import Decimal

import pytest

from tests.factories import (
    LocationFactory,
    ProductFactory,
    StaffFactory,
    VariantFactory,
    WarehouseFactory,
)


@pytest.fixture
def shop():
    return LocationFactory(
        code="MI01",
        name="Milano Centro",
        latitude=Decimal("45.464200"),
        longitude=Decimal("9.190000"),
    )


@pytest.fixture
def other_shop():
    return LocationFactory(
        code="RM01",
        name="Roma Termini",
        city="Roma",
        latitude=Decimal("41.902800"),
        longitude=Decimal("12.496400"),
    )


@pytest.fixture
def warehouse():
    return WarehouseFactory(
        code="WH01",
        name="Piacenza DC",
        latitude=Decimal("45.052600"),
        longitude=Decimal("9.692900"),
    )


@pytest.fixture
def associate(shop):
    return StaffFactory(store=shop, first_name="Giulia", last_name="Bianchi")


@pytest.fixture
def staff_client(client, associate):
    client.force_login(associate)
    return client


@pytest.fixture
def variant():
    return VariantFactory(
        sku="SHIRT-BLU-M",
        barcode="8000000000017",
        product=ProductFactory(name="Oxford shirt"),
    )


@pytest.fixture
def second_variant():
    return VariantFactory(sku="SOCK-RED", barcode="8000000000024")
