"""Two imports into one price list at the same moment, on PostgreSQL: they run one
after the other, the second reading what the first wrote, so neither fails on a
price the other added and each change is recorded from the price it replaced."""

from decimal import Decimal

import pytest

from campaigns.models import PriceChange
from inventory.models import PriceList, PriceListPrice
from inventory.services.price_lists import PricesImported, import_prices
from omnistore.accounts.models import Role
from tests.factories import UserFactory, VariantFactory
from tests.inventory.test_services_concurrency_pg import run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

D = Decimal


def test_two_imports_into_one_list_at_once_run_one_after_the_other():
    francs = PriceList.objects.get(code="CHF")
    shirt, coat = VariantFactory(sku="SHIRT"), VariantFactory(sku="COAT")
    PriceListPrice.objects.create(price_list=francs, variant=shirt, price=D("50.00"))
    actor = UserFactory(username="elena", role=Role.HQ)

    def importing(price: str):
        return lambda: import_prices(
            price_list=francs,
            prices={shirt.pk: D(price), coat.pk: D(price)},
            actor=actor,
            reason=f"All at {price}",
        )

    outcomes = run_together([importing("40.00"), importing("45.00")])

    assert [kind for kind, _ in outcomes] == ["ok", "ok"], outcomes
    results = [result for _, result in outcomes]
    first = PricesImported(added=1, changed=1, unchanged=0)
    assert sorted(results, key=lambda r: r.added) == [
        PricesImported(added=0, changed=2, unchanged=0),
        first,
    ]
    before, after = ("40.00", "45.00") if results[0] == first else ("45.00", "40.00")
    assert {
        price.variant.sku: price.price
        for price in PriceListPrice.objects.select_related("variant")
    } == {"SHIRT": D(after), "COAT": D(after)}
    assert {
        (change.variant.sku, change.was, change.price)
        for change in PriceChange.objects.select_related("variant")
    } == {
        ("SHIRT", None, D("50.00")),  # the price it was given above
        ("SHIRT", D("50.00"), D(before)),
        ("SHIRT", D(before), D(after)),
        ("COAT", None, D(before)),
        ("COAT", D(before), D(after)),
    }
    assert PriceChange.objects.count() == 5
