"""A click-and-collect order split between the pickup shop's shelves and a transfer
from the depot: the shop picks it whole once the transfer has arrived, so the order
page offers Mark picked only then and says what it waits for until then."""

from decimal import Decimal

import pytest
from django.urls import reverse

from inventory.services.transfers import receive_transfer, ship_transfer
from orders.models import OrderStatus
from tests.factories import StaffFactory, VariantFactory, stock
from tests.orders.factories import pickup_order, shop, warehouse

pytestmark = pytest.mark.django_db


@pytest.fixture
def store():
    return shop(code="MI01", name="Milano Duomo")


@pytest.fixture
def associate(client, store):
    user = StaffFactory(store=store)
    client.force_login(user)
    return user


@pytest.fixture
def order(store):
    """A shirt from the shop's shelf and a coat only the depot has."""
    depot = warehouse(code="WH01", name="Piacenza DC")
    shirt = VariantFactory(sku="SHIRT-WHT-M", price=Decimal("40.00"))
    coat = VariantFactory(sku="COAT-BLK-L", price=Decimal("200.00"))
    stock(shirt, store, 3)
    stock(coat, depot, 2)
    order = pickup_order(store=store, lines=[(shirt, 1), (coat, 1)])
    assert order.fulfilments.count() == 2
    return order


def the_transfer(order):
    return order.fulfilments.get(transfer__isnull=False).transfer


def part_row(page, store) -> str:
    """The HTML of the order page's row for ``store``'s part."""
    html = page.content.decode()
    start = html.index(f'data-testid="part-{store.pk}"')
    return html[start : html.index("</div>", start)]


def order_page(client, order):
    page = client.get(reverse("staff:order_detail", args=[order.number]))
    assert page.status_code == 200
    return page


def test_the_shop_part_waits_for_the_transfer_and_is_picked_once_it_arrives(
    client, associate, store, order
):
    transfer = the_transfer(order)

    for step in ("requested", "in transit"):
        row = part_row(order_page(client, order), store)
        assert f"Waits for transfer {transfer} to arrive" in row, step
        assert "Mark picked" not in row, step
        if step == "requested":
            ship_transfer(transfer=transfer)

    receive_transfer(transfer=transfer, actor=associate)
    row = part_row(order_page(client, order), store)
    assert "Mark picked" in row
    assert "Waits for transfer" not in row

    picked = client.post(
        reverse("staff:order_pick", args=[order.number]), {"location": store.pk}
    )
    assert picked.status_code == 302
    order.refresh_from_db()
    assert order.status == OrderStatus.PICKED


def test_the_waiting_order_page_costs_the_queries_of_any_order_page(
    client, associate, store, order, django_assert_max_num_queries
):
    # as the order page of any size (test_staff_orders): the transfer comes with
    # the order's parts
    with django_assert_max_num_queries(14):
        page = order_page(client, order)
    assert page.context["part_steps"][0]["awaits"] == [the_transfer(order)]
    assert not page.context["can_pick"]


def test_an_item_half_on_the_shelf_half_on_the_transfer_is_one_row(
    client, associate, store
):
    depot = warehouse(code="WH02", name="Verona DC")
    blouse = VariantFactory(sku="BLOUSE-S", price=Decimal("129.00"))
    stock(blouse, store, 2)
    stock(blouse, depot, 2)
    split = pickup_order(store=store, lines=[(blouse, 4)])
    assert split.lines.count() == 2  # two places, two stored lines

    page = order_page(client, split)

    [row] = page.context["lines"]
    assert (row.sku, row.quantity, row.line_total) == ("BLOUSE-S", 4, Decimal("516.00"))
    assert page.content.decode().count("<code>BLOUSE-S</code>") == 1
