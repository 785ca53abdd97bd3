"""Parked sales at a busy counter: only a sale with something to sell is parked, and
a full list refuses one more instead of pushing a parked sale out without a word."""

from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from inventory.markets import forget_tax_table
from inventory.models import Market
from omnistore.accounts.models import Role
from tests.approvals.helpers import make_approver
from tests.customers.factories import make_customer
from tests.factories import LocationFactory, StaffFactory, VariantFactory, stock

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]

HTMX = {"HTTP_HX_REQUEST": "true"}
ADDRESS = {
    "name": "Ada Lovelace",
    "line1": "Via Torino 1",
    "postcode": "20123",
    "city": "Milano",
    "country": "IT",
}
PARK = reverse("staff:sale_park")


@pytest.fixture(autouse=True)
def priced_delivery():
    """The EU market charges 4.90 for delivery."""
    Market.objects.filter(code="EU").update(delivery_fee=Decimal("4.90"))
    forget_tax_table()
    yield
    forget_tax_table()


@pytest.fixture
def shop():
    return LocationFactory(code="MI01", name="Milano Centro")


@pytest.fixture
def manager(client, shop):
    client.force_login(
        make_approver(StaffFactory(store=shop, role=Role.STORE_MANAGER), pin="2468")
    )
    return client


@pytest.fixture
def coat(shop):
    item = VariantFactory(sku="COAT-BLK-L", price="120.00")
    stock(item, shop, 20)
    return item


@pytest.fixture
def ada():
    return make_customer(phone="+393331234567", first_name="Ada", last_name="Lovelace")


def said(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def labels(client) -> list[str]:
    return [entry["label"].split(" · ")[0] for entry in client.session["sale_parked"]]


def basket_skus(client) -> list[str]:
    rows = client.get(reverse("staff:sale")).context["basket"]["rows"]
    return [row.line.variant.sku for row in rows]


def ada_delivered_home_fee_waived(client, coat):
    client.post(reverse("staff:sale_add"), {"code": coat.sku}, **HTMX)
    client.get(reverse("staff:sale") + "?mode=delivery")
    client.post(
        reverse("staff:sale_customer"), {"kind": "phone", "value": "3331234567"}, **HTMX
    )
    waived = client.post(
        reverse("staff:sale_delivery_waiver"),
        {**ADDRESS, "mode": "delivery", "waiver-why": "complaint"},
        **HTMX,
    )
    assert waived.status_code == 200
    assert client.session["sale_delivery_waiver"]


def test_a_full_list_refuses_one_more_sale_and_keeps_every_parked_one(
    manager, coat, ada
):
    ada_delivered_home_fee_waived(manager, coat)
    assert said(manager.post(PARK, follow=True)) == [
        "Sale parked: resume it from the list below."
    ]
    for _ in range(4):
        manager.post(reverse("staff:sale_add"), {"code": coat.sku}, **HTMX)
        parked = manager.post(PARK, follow=True)
        assert said(parked) == ["Sale parked: resume it from the list below."]
    assert labels(manager) == ["Ada Lovelace"] + ["Walk-in customer"] * 4

    manager.post(reverse("staff:sale_add"), {"code": coat.sku}, **HTMX)
    refused = manager.post(PARK, follow=True)

    assert said(refused) == [
        "Resume or clear a parked sale first: 5 sales are parked, the most kept at "
        "once. This sale is still in progress."
    ]
    assert labels(manager) == ["Ada Lovelace"] + ["Walk-in customer"] * 4
    assert basket_skus(manager) == [coat.sku]  # the sale in progress stays as it was
    manager.post(reverse("staff:sale_resume", args=[0]))
    session = manager.session
    assert session["sale_customer"]["customer_id"] == ada.pk
    assert session["sale_mode"] == "delivery"
    assert session["sale_delivery_waiver"]  # the fee still waived
    assert labels(manager) == ["Walk-in customer"] * 5  # the other one parked instead


def test_a_way_of_leaving_chosen_on_an_empty_sale_is_not_parked_on_resuming(
    manager, coat
):
    manager.post(reverse("staff:sale_add"), {"code": coat.sku}, **HTMX)
    manager.post(PARK)
    manager.get(reverse("staff:sale") + "?mode=delivery")  # nothing in the basket

    manager.post(reverse("staff:sale_resume", args=[0]))

    assert manager.session["sale_parked"] == []
    assert basket_skus(manager) == [coat.sku]
    assert "sale_mode" not in manager.session  # the empty sale's choice went with it


def test_a_sale_with_a_customer_and_no_items_is_not_parked(manager, coat, ada):
    manager.post(
        reverse("staff:sale_customer"), {"kind": "phone", "value": "3331234567"}, **HTMX
    )
    page = manager.get(reverse("staff:sale")).content.decode()
    assert 'data-testid="park-sale"' not in page and "New sale" in page

    refused = manager.post(PARK, follow=True)

    assert said(refused) == ["Nothing to park: the sale has no items yet."]
    assert "sale_parked" not in manager.session
    assert manager.session["sale_customer"]["customer_id"] == ada.pk
