"""The admin reads a transfer's status as the staff pages do: one closed short says
"Closed short (N missing)" on the list and on its page, not "Received" as one
received in full; the list costs the same queries however many it shows."""

import pytest
from django.urls import reverse

from inventory.services.transfers import (
    close_transfer_short,
    receive_transfer,
    request_transfer,
    ship_transfer,
)
from tests.factories import (
    LocationFactory,
    UserFactory,
    VariantFactory,
    WarehouseFactory,
    stock,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(username="boss", is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def places():
    return WarehouseFactory(code="WH01"), LocationFactory(code="MI01")


def shipped(places, units=5):
    depot, shop = places
    item = VariantFactory()
    stock(item, depot, units)
    transfer = request_transfer(source=depot, destination=shop, lines=[(item, units)])
    return ship_transfer(transfer=transfer), item


@pytest.fixture
def closed_short(places):
    """5 shipped, 2 received, the other 3 given up."""
    transfer, item = shipped(places)
    receive_transfer(transfer=transfer, quantities={item.pk: 2})
    return close_transfer_short(transfer=transfer, reason="box lost")


@pytest.fixture
def received_in_full(places):
    return receive_transfer(transfer=shipped(places)[0])


def status_cell(html: str, transfer) -> str:
    """The status column of the transfer's row on the admin list."""
    link = reverse("admin:inventory_transfer_change", args=[transfer.pk])
    row = html[html.index(f'href="{link}"') :]
    row = row[: row.index("</tr>")]
    return row.split('class="field-status_shown">')[1].split("</td>")[0]


def test_the_list_says_closed_short_with_the_units_missing(
    admin_client, closed_short, received_in_full
):
    html = admin_client.get(reverse("admin:inventory_transfer_changelist")).content
    html = html.decode()

    assert status_cell(html, closed_short) == "Closed short (3 missing)"
    assert status_cell(html, received_in_full) == "Received"


def test_the_page_says_closed_short_with_the_units_missing(
    admin_client, closed_short, received_in_full
):
    def page(transfer):
        url = reverse("admin:inventory_transfer_change", args=[transfer.pk])
        return admin_client.get(url).content.decode()

    short = page(closed_short)
    assert "Closed short (3 missing)" in short
    assert "Closed short" not in page(received_in_full)
    assert "Received" in page(received_in_full)


@pytest.mark.parametrize("count", [2, 9])
def test_the_list_costs_the_same_queries_for_any_length(
    admin_client, places, django_assert_max_num_queries, count
):
    for _ in range(count):
        transfer, item = shipped(places, units=2)
        receive_transfer(transfer=transfer, quantities={item.pk: 1})
        close_transfer_short(transfer=transfer, reason="box lost")
    url = reverse("admin:inventory_transfer_changelist")
    admin_client.get(url)  # a session's first request may note its time
    # session, user, the filters' locations (twice), the count twice (filtered and
    # in all), the page of transfers with their places, their lines, the dates
    # (twice)
    with django_assert_max_num_queries(10):
        response = admin_client.get(url)
    assert response.content.decode().count("Closed short (1 missing)") == count
