"""The picking list as staff meet it: the dashboard counts its picked orders waiting
for their next step here, a refused Ship shows again on its own card with what was
typed and why, and HQ working at a warehouse is shown that warehouse's parts once."""

from decimal import Decimal

import pytest
from django.urls import reverse

from omnistore.accounts.models import Role
from omnistore.staff.auth import SESSION_STORE_KEY
from orders.models import FulfilmentStatus
from orders.services.fulfilment import mark_picked
from tests.factories import (
    LocationFactory,
    StaffFactory,
    UserFactory,
    VariantFactory,
    WarehouseFactory,
    stock,
)
from tests.orders.factories import delivery_order, pickup_order

pytestmark = pytest.mark.django_db

# The session, the user, the shop, low stock (its rows and its news), transfers,
# client tasks, the user's locations, orders to pick, picked, pickups waiting and
# returns to process: the same for any number of orders.
DASHBOARD_QUERIES = 12


@pytest.fixture
def duomo():
    return LocationFactory(code="MI01", name="Milano Duomo", ships_online_orders=True)


@pytest.fixture
def piacenza():
    return WarehouseFactory(code="WH01", name="Piacenza DC")


@pytest.fixture
def verona():
    return WarehouseFactory(code="WH02", name="Verona Quadrante")


@pytest.fixture
def shirt(duomo):
    item = VariantFactory(sku="SHIRT-BLU-M", price=Decimal("40.00"))
    stock(item, duomo, 20)
    return item


def login(client, user, *, at=None):
    client.force_login(user)
    if at is not None:
        session = client.session
        session[SESSION_STORE_KEY] = at.pk
        session.save()
    return client


def hq(client, *, at):
    return login(client, UserFactory(username="hq", role=Role.HQ), at=at)


def between(html: str, marker: str, end: str) -> str:
    assert marker in html, f"{marker} not on the page"
    return html.split(marker)[1].split(end)[0]


def picking(client) -> str:
    response = client.get(reverse("staff:picking"))
    assert response.status_code == 200
    return response.content.decode()


# --- the dashboard ----------------------------------------------------------------


@pytest.mark.parametrize("picked", [1, 4])
def test_the_dashboard_counts_the_picked_orders_waiting_for_their_next_step(
    client, duomo, shirt, picked, django_assert_max_num_queries
):
    """Pickups to make ready here and deliveries to ship from here, counted as the
    picking list counts them, in one query whatever their number; the card leads
    to that section."""
    pickup_order(store=duomo, lines=[(shirt, 1)])  # still to pick
    for n in range(picked):
        if n % 2:
            mark_picked(order=pickup_order(store=duomo, lines=[(shirt, 1)]))
        else:
            mark_picked(order=delivery_order(lines=[(shirt, 1)]))
    staff = login(client, StaffFactory(store=duomo, username="giulia"))
    staff.get(reverse("staff:dashboard"))  # a session's first request notes its time

    with django_assert_max_num_queries(DASHBOARD_QUERIES):
        response = staff.get(reverse("staff:dashboard"))

    assert response.context["order_work"]["orders_to_pick"] == 1
    assert response.context["order_work"]["picked_waiting"] == picked
    shown = between(response.content.decode(), 'data-testid="picked-waiting"', "</a>")
    assert "Picked — next step" in shown
    assert f'<div class="stat">{picked}</div>' in shown
    assert f'href="{reverse("staff:picking")}#picked"' in shown
    listed = picking(staff)
    assert 'id="picked" data-testid="to-hand-over"' in listed
    assert f'data-testid="picked-count">{picked}</span>' in listed


def test_a_warehouses_dashboard_counts_its_picked_parts_to_ship(
    client, piacenza, duomo
):
    coat = VariantFactory(sku="COAT-BLK-L", price=Decimal("200.00"))
    stock(coat, piacenza, 5)
    for _ in range(2):
        mark_picked(order=delivery_order(lines=[(coat, 1)]))
    hq(client, at=piacenza)

    response = client.get(reverse("staff:dashboard"))

    assert response.context["order_work"]["picked_waiting"] == 2
    shown = between(response.content.decode(), 'data-testid="picked-waiting"', "</a>")
    assert '<div class="stat">2</div>' in shown
    assert "to ship" in shown and "make ready" not in shown


# --- a refused Ship -----------------------------------------------------------------


def test_a_refused_tracking_number_shows_again_on_its_card_with_why(
    client, duomo, shirt
):
    order = delivery_order(lines=[(shirt, 1)])
    mark_picked(order=order)
    other = delivery_order(lines=[(shirt, 1)])
    mark_picked(order=other)
    staff = login(client, StaffFactory(store=duomo, username="giulia"))

    response = staff.post(
        reverse("staff:order_ship", args=[order.number]),
        {"carrier": "dhl", "tracking_reference": "AB", "from": "picking"},
    )

    assert response.status_code == 422
    html = response.content.decode()
    assert f"{order.number}: Check the carrier and the tracking number." in html
    shown = between(html, f'data-testid="ship-{order.number}"', "</article>")
    assert 'data-testid="ship-errors"' in shown
    assert "4 to 40 characters" in shown
    assert 'value="AB"' in shown and 'aria-invalid="true"' in shown
    assert '<option value="dhl" selected>DHL</option>' in shown
    untouched = between(html, f'data-testid="ship-{other.number}"', "</article>")
    assert 'data-testid="ship-errors"' not in untouched
    assert 'value="AB"' not in untouched and " selected>" not in untouched
    assert order.fulfilments.get().status == FulfilmentStatus.PICKED


def test_a_refused_tracking_number_for_a_warehouse_part_shows_on_that_part(
    client, piacenza, verona, duomo
):
    coat = VariantFactory(sku="COAT-BLK-L", price=Decimal("200.00"))
    stock(coat, piacenza, 3)
    stock(coat, verona, 2)
    order = delivery_order(lines=[(coat, 5)])
    mark_picked(order=order)
    hq(client, at=duomo)

    response = client.post(
        reverse("staff:order_ship", args=[order.number]),
        {
            "location": verona.pk,
            "carrier": "ups",
            "tracking_reference": "A B",
            "from": "picking",
        },
    )

    assert response.status_code == 422
    html = response.content.decode()
    refused = f'data-testid="warehouse-{order.number}-{verona.pk}"'
    shown = between(html, refused, "</form>")
    assert "4 to 40 characters" in shown and 'value="A B"' in shown
    assert '<option value="ups" selected>UPS</option>' in shown
    other = between(
        html, f'data-testid="warehouse-{order.number}-{piacenza.pk}"', "</form>"
    )
    assert "4 to 40 characters" not in other and 'value="A B"' not in other


# --- HQ at a warehouse --------------------------------------------------------------


def test_hq_at_a_warehouse_is_shown_its_orders_once_and_the_others_apart(
    client, piacenza, verona, duomo
):
    """The warehouse HQ works at lists its own parts in its own sections; the
    *Warehouses* section holds the other warehouses' only."""
    coat = VariantFactory(sku="COAT-BLK-L", price=Decimal("200.00"))
    stock(coat, piacenza, 5)
    here = delivery_order(lines=[(coat, 1)])
    boots = VariantFactory(sku="BOOT-BRN-42", price=Decimal("150.00"))
    stock(boots, verona, 5)
    there = delivery_order(lines=[(boots, 1)])
    hq(client, at=piacenza)

    response = client.get(reverse("staff:picking"))

    html = response.content.decode()
    assert [o.number for o in response.context["to_pick"]] == [here.number]
    assert [o.number for o in response.context["at_warehouses"]] == [there.number]
    assert (
        html.count(f'action="{reverse("staff:order_pick", args=[here.number])}"') == 1
    )
    assert 'data-testid="warehouses-count">1</span>' in html
    assert response.context["staff_store"] == piacenza
