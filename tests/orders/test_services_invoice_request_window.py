"""A business customer asks for an order's invoice until the end of the local day
``OMNISTORE_INVOICE_REQUEST_DAYS`` after the order, whatever the hour it was placed;
the refusal names that day."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from omnistore.core.exceptions import Conflict
from orders.models import Invoice
from orders.services.invoices import issue_invoice
from tests.factories import StaffFactory
from tests.orders.receipt_helpers import business, entity_shop, item, legal_entity
from tests.orders.returns_helpers import counter_sale

pytestmark = pytest.mark.django_db

ROME = ZoneInfo("Europe/Rome")


def rome(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=ROME)


@pytest.fixture(autouse=True)
def _policy(settings):
    settings.OMNISTORE_INVOICE_REQUEST_DAYS = 30


@pytest.fixture
def evening_sale():
    """A sale to a business customer at 18:00 on 6 November."""
    shop = entity_shop(legal_entity())
    return counter_sale(
        store=shop,
        lines=[(item(shop, "Oxford shirt", "SHIRT", "61.00"), 1)],
        staff=StaffFactory(store=shop),
        customer=business(),
        now=rome("2026-11-06T18:00"),
    )


def test_asked_late_on_the_last_day_the_invoice_is_issued(evening_sale):
    invoice, created = issue_invoice(
        order=evening_sale, by_customer=True, now=rome("2026-12-06T23:00")
    )
    assert created and invoice.number.startswith("INV-")


def test_asked_the_day_after_it_is_refused_naming_the_last_day(evening_sale):
    with pytest.raises(Conflict) as refused:
        issue_invoice(
            order=evening_sale, by_customer=True, now=rome("2026-12-07T00:00")
        )
    assert refused.value.code == "invoice_window_closed"
    assert refused.value.extra == {"invoice_until": "2026-12-06"}
    assert not Invoice.objects.exists()
