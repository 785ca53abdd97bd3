"""Cash tendered is an amount the drawer's notes and coins make: francs have no coin
below 0.05, so 62.93 francs handed over for a 62.90 sale is a slip of the keyboard,
refused at the sale screen's field, with the step and the currency named, and by
the till's service; nothing is sold or booked. Euros, counted to the cent, take any
cent."""

from decimal import Decimal

import pytest
from django.urls import reverse

from omnistore.core.exceptions import ValidationFailed
from orders.models import Order, PaymentMethod, TillMovement, TillMovementKind
from orders.services.till import change_due
from tests.factories import StaffFactory
from tests.orders.factories import in_francs, shop, stocked
from tests.orders.till_helpers import open_counter_till

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
D = Decimal


@pytest.fixture
def zurich():
    return shop(code="ZH03", name="Zürich Bahnhofstrasse", country="CH")


@pytest.fixture
def milano():
    return shop(code="MI03", name="Milano Duomo", country="IT")


def counter(client, location):
    """The shop's counter, its till open, an associate signed in."""
    clerk = StaffFactory(store=location)
    open_counter_till(clerk)
    client.force_login(clerk)
    return client


def sell_in_cash(client, item, tendered: str):
    client.post(reverse("staff:sale_add"), {"code": item.sku}, **HTMX)
    return pay_in_cash(client, tendered)


def pay_in_cash(client, tendered: str):
    data = {"mode": "carry_out", "method_1": PaymentMethod.CASH, "tendered": tendered}
    return client.post(reverse("staff:sale_checkout"), data, **HTMX)


def sales_booked() -> int:
    return TillMovement.objects.filter(kind=TillMovementKind.SALE).count()


def test_francs_no_coin_makes_are_refused_at_the_field(client, zurich):
    desk = counter(client, zurich)
    shirt = in_francs(stocked(zurich, 5, price="59.90", sku="WSH-RED-M"), "62.90")

    refused = sell_in_cash(desk, shirt, "62.93")

    assert refused.status_code == 422
    assert "Cash is counted in steps of 0.05 CHF" in refused.content.decode()
    assert not Order.objects.exists()
    assert sales_booked() == 0

    sold = pay_in_cash(desk, "63.00")  # the same basket, the cash counted again

    assert "HX-Redirect" in sold, sold.content.decode()[:500]
    booked = TillMovement.objects.get(kind=TillMovementKind.SALE)
    assert (booked.tendered, booked.change) == (D("63.00"), D("0.10"))


def test_euros_take_any_cent(client, milano):
    desk = counter(client, milano)
    shirt = stocked(milano, 5, price="62.90", sku="WSH-BLU-M")

    sold = sell_in_cash(desk, shirt, "62.93")

    assert "HX-Redirect" in sold, sold.content.decode()[:500]
    booked = TillMovement.objects.get(kind=TillMovementKind.SALE)
    assert (booked.tendered, booked.change) == (D("62.93"), D("0.03"))


def test_the_till_service_refuses_it_too():
    with pytest.raises(ValidationFailed) as refused:
        change_due(tendered=D("62.93"), due=D("62.90"), currency="CHF")

    assert refused.value.code == "tendered_not_in_coins"
    assert refused.value.extra == {"tendered": ["A multiple of 0.05 CHF."]}
    assert change_due(tendered=D("62.95"), due=D("62.90"), currency="CHF") == D("0.05")
    assert change_due(tendered=D("62.93"), due=D("62.90"), currency="EUR") == D("0.03")
