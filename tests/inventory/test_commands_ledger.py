"""``manage.py check_stock_ledger`` proves the ledger sums to the levels.

The failing cases tamper with a level through a raw queryset update: that simulates
corruption outside the services, which is exactly what the command must catch.
"""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import F

from inventory.models import StockLevel
from inventory.services.ledger import StockRequest
from inventory.services.reservations import (
    consume_reservations,
    reserve_stock,
    sell_stock,
)
from inventory.services.stock import adjust_stock, count_stock
from tests.factories import LocationFactory, VariantFactory, WarehouseFactory, stock

pytestmark = pytest.mark.django_db


def run() -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("check_stock_ledger", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def books():
    """A few levels touched by every kind of movement."""
    shop, warehouse = LocationFactory(), WarehouseFactory()
    shirt, socks = VariantFactory(sku="SHIRT"), VariantFactory(sku="SOCKS")
    stock(shirt, shop, 6)
    stock(socks, warehouse, 9)
    [held] = reserve_stock(
        requests=[StockRequest(shirt.pk, shop.pk, 2)],
        reference_type="order",
        reference_id="1",
    )
    consume_reservations(reservations=[held])
    sell_stock(
        requests=[StockRequest(socks.pk, warehouse.pk, 1)],
        reference_type="order",
        reference_id="2",
    )
    adjust_stock(variant=socks, location=warehouse, delta=-1, note="lost")
    count_stock(variant=shirt, location=shop, counted=3)
    return {"shirt": shirt, "socks": socks, "shop": shop, "warehouse": warehouse}


def test_consistent_books_print_ok(books):
    out, err = run()

    assert out.startswith("OK: 2 stock levels agree with")
    assert err == ""


def test_an_empty_stock_book_is_consistent():
    out, _ = run()

    assert "OK: 0 stock levels agree with 0 ledger movements." in out


def test_a_tampered_on_hand_fails_the_check_and_names_the_level(books):
    shirt = books["shirt"]
    StockLevel.objects.filter(variant=shirt).update(on_hand=F("on_hand") + 1)

    with pytest.raises(CommandError, match="1 of 2 stock levels disagree"):
        run()


def test_the_mismatch_report_shows_level_and_ledger(books):
    shirt, shop = books["shirt"], books["shop"]
    StockLevel.objects.filter(variant=shirt).update(on_hand=F("on_hand") + 1)
    err = StringIO()

    with pytest.raises(CommandError):
        call_command("check_stock_ledger", stdout=StringIO(), stderr=err)

    report = err.getvalue()
    assert f"'variant_id': {shirt.pk}" in report
    assert f"'location_id': {shop.pk}" in report
    assert "'on_hand': 4, 'ledger_on_hand': 3" in report


def test_a_tampered_reserved_quantity_fails_the_check(books):
    StockLevel.objects.filter(variant=books["socks"]).update(reserved=1)

    with pytest.raises(CommandError):
        run()


def test_movements_without_a_level_fail_the_check(books):
    StockLevel.objects.filter(variant=books["socks"]).delete()

    with pytest.raises(CommandError, match="1 of 1 stock levels disagree"):
        run()
