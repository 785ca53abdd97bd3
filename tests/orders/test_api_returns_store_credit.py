"""Starting a return online with a refund as store credit where store credit cannot
hold it — a sale in another currency than the credit's — is refused as it is
started, at ``refund_method``, by the rule the refund books credit by."""

from decimal import Decimal

import pytest

from inventory.models import PriceList, PriceListPrice
from orders.models import Return
from tests.factories import LocationFactory, StaffFactory
from tests.orders.factories import stocked
from tests.orders.returns_helpers import api_client_for, counter_sale, shopper

pytestmark = pytest.mark.django_db


@pytest.fixture
def franc_sale():
    """Ada's sale at the Zürich shop, in francs, and her API client."""
    zurich = LocationFactory(code="ZH01", name="Zürich", country="CH")
    item = stocked(zurich, 5, price="49.90")
    PriceListPrice.objects.create(
        price_list=PriceList.objects.get(code="CHF"),
        variant=item,
        price=Decimal("54.05"),
    )
    user, customer = shopper()
    sale = counter_sale(
        store=zurich,
        lines=[(item, 1)],
        staff=StaffFactory(store=zurich),
        customer=customer,
    )
    assert sale.currency == "CHF"
    return api_client_for(user), sale


def start(client, sale, **extra):
    return client.post(
        "/api/v1/returns/",
        {
            "order": sale.number,
            "lines": [
                {
                    "order_line": sale.lines.get().pk,
                    "quantity": 1,
                    "reason": "too_small",
                }
            ],
            **extra,
        },
        format="json",
    )


def test_store_credit_for_a_sale_in_francs_is_a_400_on_refund_method(franc_sale):
    client, sale = franc_sale

    refused = start(client, sale, refund_method="store_credit")

    assert refused.status_code == 400, refused.json()
    body = refused.json()
    assert body["code"] == "store_credit_currency"
    assert "kept in EUR" in body["extra"]["refund_method"][0]
    assert not Return.objects.exists()
    # To the payment it was made with, the same return is started.
    started = start(client, sale, refund_method="original")
    assert started.status_code == 201, started.json()
    assert started.json()["refund_method"] == "original"
