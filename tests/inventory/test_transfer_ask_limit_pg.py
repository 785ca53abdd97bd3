"""An associate's asks for stock keep to the daily limit under real concurrency on
PostgreSQL: asks sent at once each count the others."""

import pytest
from django.test import override_settings

from inventory.models import TransferLine
from inventory.services.transfers import request_transfer
from omnistore.core.exceptions import ValidationFailed
from tests.factories import LocationFactory, StaffFactory, VariantFactory, stock
from tests.inventory.test_services_concurrency_pg import run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@override_settings(OMNISTORE_TRANSFER_ASK_MAX=20)
def test_five_asks_of_twenty_at_once_move_twenty_units():
    roma, milano = LocationFactory(code="RM01"), LocationFactory(code="MI01")
    shirt = VariantFactory(sku="SHIRT-M")
    stock(shirt, roma, 200)
    associate = StaffFactory(store=milano)

    def ask():
        return request_transfer(
            source=roma, destination=milano, lines=[(shirt, 20)], actor=associate
        )

    outcomes = run_together([ask] * 5)

    errors = [result for kind, result in outcomes if kind == "error"]
    assert all(isinstance(e, ValidationFailed) for e in errors), errors
    assert [kind for kind, _ in outcomes].count("ok") == 1
    assert sum(TransferLine.objects.values_list("quantity", flat=True)) == 20
