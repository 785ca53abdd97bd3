"""A pickup's transfer closed short and its missing units asked again from another
location: the part then comes from that location, and the customer's order (API)
and the staff order page name it as the source, no longer the one the transfer
closed short came from; when the pickup shop holds all that was missing, the part
comes from the shop."""

from decimal import Decimal

import pytest
from django.urls import reverse

from inventory.models import Transfer
from inventory.services.transfers import (
    close_transfer_short,
    receive_transfer,
    ship_transfer,
)
from orders.models import Order
from tests.factories import StaffFactory, VariantFactory, stock
from tests.orders.factories import shop, warehouse
from tests.orders.returns_helpers import api_client_for, shopper

pytestmark = pytest.mark.django_db

CARD = {"method": "card_online", "token": "tok_visa"}


@pytest.fixture
def store():
    return shop(code="MI01", name="Milano Duomo")


@pytest.fixture
def roma():
    return warehouse(code="RM-DC", name="Roma DC")


@pytest.fixture
def coat(roma):
    item = VariantFactory(sku="COAT-BLK-L", price=Decimal("200.00"))
    stock(item, roma, 2)
    return item


@pytest.fixture
def associate(store):
    return StaffFactory(store=store)


@pytest.fixture
def customer_api():
    user, _customer = shopper()
    return api_client_for(user)


def bought_now(client, store, coat) -> Order:
    """Two coats bought now for pickup at a shop without any: they travel from the
    warehouse that has them."""
    placed = client.post(
        "/api/v1/checkout/buy-now/",
        {
            "fulfilment": "pickup",
            "store": store.pk,
            "lines": [{"variant": coat.pk, "quantity": 2}],
            "payment": CARD,
        },
        format="json",
    )
    assert placed.status_code == 201, placed.json()
    return Order.objects.get(number=placed.json()["number"])


def one_lost_on_the_way(order, coat, associate) -> Transfer:
    transfer = Transfer.objects.get(reference_id=order.number)
    ship_transfer(transfer=transfer)
    receive_transfer(transfer=transfer, quantities={coat.pk: 1}, actor=associate)
    close_transfer_short(transfer=transfer, actor=associate, reason="box damaged")
    return transfer


def source_on_the_staff_page(client, order) -> str:
    """The "From" cell of the order's one part on the staff order page."""
    page = client.get(reverse("staff:order_detail", args=[order.number]))
    assert page.status_code == 200
    html = page.content.decode()
    part = order.fulfilments.get()
    row = html.index(f'data-testid="parcel-{part.pk}"')
    cells = html[row : html.index("</tr>", row)].split("<td>")
    return cells[2]  # how, from, to, ...


def test_the_part_comes_from_the_location_asked_again(
    client, customer_api, store, roma, coat, associate
):
    order = bought_now(customer_api, store, coat)
    assert order.fulfilments.get().location == roma
    napoli = warehouse(code="NA-DC", name="Napoli DC")
    stock(coat, napoli, 3)

    one_lost_on_the_way(order, coat, associate)

    part = order.fulfilments.get()
    assert part.transfer.source == napoli
    assert part.location == napoli
    detail = customer_api.get(f"/api/v1/orders/{order.number}/")
    assert detail.status_code == 200
    [fulfilment] = detail.json()["fulfilments"]
    assert fulfilment["location"]["code"] == "NA-DC"
    assert fulfilment["pickup_location"]["code"] == "MI01"
    client.force_login(associate)
    source = source_on_the_staff_page(client, order)
    assert "Napoli DC" in source and "Roma DC" not in source


def test_the_part_comes_from_the_pickup_shop_holding_what_was_missing(
    client, customer_api, store, roma, coat, associate
):
    order = bought_now(customer_api, store, coat)
    stock(coat, store, 1)  # a delivery came in meanwhile

    closed = one_lost_on_the_way(order, coat, associate)

    part = order.fulfilments.get()
    assert part.transfer == closed  # nothing asked of another location
    assert part.location == store
    detail = customer_api.get(f"/api/v1/orders/{order.number}/").json()
    assert detail["fulfilments"][0]["location"]["code"] == "MI01"
    client.force_login(associate)
    assert "Milano Duomo" in source_on_the_staff_page(client, order)
