"""Deliveries split over two warehouses, or over a warehouse and a shop, worked from
the staff pages: each part shows where it leaves from and the steps the signed-in
staff member may take on it; the form names the part. HQ works any location's part,
warehouses included; an associate only their own shop's (and the warehouses among
their locations); the picking list of whoever works warehouses has a section of
their parts."""

from decimal import Decimal

import pytest
from django.urls import reverse

from inventory.models import MovementReason, StockMovement
from omnistore.accounts.models import Role
from omnistore.accounts.services import assign_role
from omnistore.staff.auth import SESSION_STORE_KEY
from orders.models import Fulfilment, FulfilmentStatus, OrderStatus
from orders.staff.views import picking as picking_views
from tests.factories import (
    LocationFactory,
    StaffFactory,
    UserFactory,
    VariantFactory,
    WarehouseFactory,
    stock,
)
from tests.orders.factories import delivery_order

pytestmark = pytest.mark.django_db

PENDING, PICKED, SHIPPED = (
    FulfilmentStatus.PENDING,
    FulfilmentStatus.PICKED,
    FulfilmentStatus.SHIPPED,
)


@pytest.fixture
def piacenza():
    return WarehouseFactory(code="WH01", name="Piacenza DC")


@pytest.fixture
def verona():
    return WarehouseFactory(code="WH02", name="Verona Quadrante")


@pytest.fixture
def duomo():
    return LocationFactory(
        code="MI01",
        name="Milano Duomo",
        latitude=Decimal("45.464200"),
        longitude=Decimal("9.190000"),
        ships_online_orders=True,
    )


@pytest.fixture
def corso():
    return LocationFactory(
        code="RM01",
        name="Roma Corso",
        latitude=Decimal("41.902800"),
        longitude=Decimal("12.496400"),
        ships_online_orders=True,
    )


@pytest.fixture
def two_warehouses(piacenza, verona):
    """Five coats: three at Piacenza, two at Verona, so the order leaves from both."""
    coat = VariantFactory(sku="COAT-BLK-L", price=Decimal("200.00"))
    stock(coat, piacenza, 3)
    stock(coat, verona, 2)
    order = delivery_order(lines=[(coat, 5)])
    assert places(order) == {piacenza.pk, verona.pk}
    return order


@pytest.fixture
def warehouse_and_shop(piacenza, duomo):
    """Four shirts: three at Piacenza, one at Milano Duomo."""
    shirt = VariantFactory(sku="SHIRT-BLU-M", price=Decimal("40.00"))
    stock(shirt, piacenza, 3)
    stock(shirt, duomo, 1)
    order = delivery_order(lines=[(shirt, 4)])
    assert places(order) == {piacenza.pk, duomo.pk}
    return order


def places(order) -> set[int]:
    return set(order.fulfilments.values_list("location_id", flat=True))


def status_at(order, location) -> str:
    return Fulfilment.objects.get(order=order, location=location).status


def login(client, user, *, at=None):
    client.force_login(user)
    if at is not None:
        session = client.session
        session[SESSION_STORE_KEY] = at.pk
        session.save()
    return client


def hq(client, *, at=None):
    return login(client, UserFactory(username="hq", role=Role.HQ), at=at)


def pick(client, order, location=None):
    data = {} if location is None else {"location": location}
    return client.post(reverse("staff:order_pick", args=[order.number]), data)


def ship(client, order, location, tracking):
    return client.post(
        reverse("staff:order_ship", args=[order.number]),
        {"location": location, "tracking_reference": tracking},
    )


def shipped_from(order) -> set[int]:
    return set(
        StockMovement.objects.filter(
            reference_id=order.number, reason=MovementReason.SHIPMENT
        ).values_list("location_id", flat=True)
    )


def order_page(client, order) -> str:
    response = client.get(reverse("staff:order_detail", args=[order.number]))
    assert response.status_code == 200
    return response.content.decode()


def part_block(html: str, location) -> str:
    """The order page's actions for the part leaving from ``location``."""
    marker = f'data-testid="part-{location.pk}"'
    assert marker in html, f"no steps offered for {location.name}"
    return html.split(marker)[1].split("</div>")[0]


# --- the order page and its steps -----------------------------------------------------


def test_hq_picks_and_ships_both_warehouse_parts_and_the_order_is_shipped(
    client, two_warehouses, piacenza, verona, duomo
):
    order = two_warehouses
    hq(client, at=duomo)  # working at a shop with no part in the order

    html = order_page(client, order)
    for warehouse in (piacenza, verona):
        block = part_block(html, warehouse)
        assert warehouse.name in block and "Mark picked" in block
        assert f'name="location" value="{warehouse.pk}"' in block

    assert pick(client, order, piacenza.pk).status_code == 302
    assert (status_at(order, piacenza), status_at(order, verona)) == (PICKED, PENDING)
    assert pick(client, order, verona.pk).status_code == 302
    assert ship(client, order, piacenza.pk, "BRT-PC-1").status_code == 302
    order.refresh_from_db()
    assert order.status == OrderStatus.PICKED  # Verona's parcel has not left yet
    assert ship(client, order, verona.pk, "BRT-VR-2").status_code == 302

    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED
    assert shipped_from(order) == {piacenza.pk, verona.pk}
    trackings = {f.location_id: f.tracking_reference for f in order.fulfilments.all()}
    assert trackings == {piacenza.pk: "BRT-PC-1", verona.pk: "BRT-VR-2"}
    changes = list(order.history.order_by("at", "id"))
    assert [c.location for c in changes[-2:]] == [piacenza, verona]
    html = order_page(client, order)  # nothing left to pick or ship: only delivery
    assert 'data-testid="part-' not in html
    assert 'data-testid="deliver-form"' in html


def test_the_order_page_offers_each_part_the_step_it_is_at(
    client, two_warehouses, piacenza, verona, duomo
):
    order = two_warehouses
    hq(client, at=duomo)
    pick(client, order, piacenza.pk)

    html = order_page(client, order)
    piacenza_block = part_block(html, piacenza)
    verona_block = part_block(html, verona)
    assert "Ship" in piacenza_block and "Mark picked" not in piacenza_block
    assert 'name="tracking_reference"' in piacenza_block
    assert "Mark picked" in verona_block and "tracking_reference" not in verona_block


def test_hq_works_the_warehouse_part_of_an_order_split_with_a_shop(
    client, warehouse_and_shop, piacenza, duomo, corso
):
    order = warehouse_and_shop
    associate = login(client, StaffFactory(store=duomo))
    assert pick(associate, order).status_code == 302  # their own shop's part
    assert ship(associate, order, "", "MI-1").status_code == 302
    assert (status_at(order, duomo), status_at(order, piacenza)) == (SHIPPED, PENDING)

    hq(client, at=corso)
    html = order_page(client, order)
    assert f'data-testid="part-{duomo.pk}"' not in html  # it has left
    assert "Mark picked" in part_block(html, piacenza)
    assert pick(client, order, piacenza.pk).status_code == 302
    assert ship(client, order, piacenza.pk, "BRT-PC-9").status_code == 302

    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED
    assert shipped_from(order) == {duomo.pk, piacenza.pk}


def test_an_associate_cannot_work_a_warehouse_part_nor_another_shops_part(
    client, warehouse_and_shop, piacenza, duomo, corso
):
    order = warehouse_and_shop
    stranger = login(client, StaffFactory(store=corso, username="rm"))
    assert pick(stranger, order, duomo.pk).status_code == 404  # another shop's part
    assert pick(stranger, order, piacenza.pk).status_code == 404

    associate = login(client, StaffFactory(store=duomo))
    assert pick(associate, order, piacenza.pk).status_code == 404
    html = order_page(associate, order)
    assert f'data-testid="part-{piacenza.pk}"' not in html
    assert "Mark picked" in part_block(html, duomo)
    assert pick(associate, order, duomo.pk).status_code == 302
    assert ship(associate, order, piacenza.pk, "X").status_code == 404

    assert (status_at(order, duomo), status_at(order, piacenza)) == (PICKED, PENDING)
    assert shipped_from(order) == set()


@pytest.mark.parametrize("named", ["999999", "abc", "-1", "1" * 40, "٣", " "])
def test_a_part_named_wrong_is_not_found(client, two_warehouses, duomo, named):
    """Not a location, not a number, or a location with no part in the order."""
    order = two_warehouses
    hq(client, at=duomo)
    for name in ("order_pick", "order_ship"):
        response = client.post(
            reverse(f"staff:{name}", args=[order.number]),
            {"location": named, "tracking_reference": "T"},
        )
        assert response.status_code == 404, (name, named)
    assert pick(client, order, duomo.pk).status_code == 404  # a shop without a part
    assert set(order.fulfilments.values_list("status", flat=True)) == {PENDING}


def test_a_manager_works_any_of_their_shops_parts_and_no_other(
    client, warehouse_and_shop, piacenza, duomo, corso
):
    order = warehouse_and_shop
    manager = StaffFactory(username="area", role=Role.AREA_MANAGER, store=corso)
    assign_role(user=manager, role=Role.AREA_MANAGER, shops=[corso, duomo])
    login(client, manager, at=corso)  # working at Roma, Duomo's part is theirs too

    assert "Mark picked" in part_block(order_page(client, order), duomo)
    assert pick(client, order, piacenza.pk).status_code == 404
    assert pick(client, order, duomo.pk).status_code == 302
    assert status_at(order, duomo) == PICKED


def test_staff_given_a_warehouse_work_its_parts(
    client, warehouse_and_shop, piacenza, duomo, corso
):
    order = warehouse_and_shop
    picker = StaffFactory(username="picker", store=corso)
    assign_role(user=picker, role=Role.ASSOCIATE, shops=[corso, piacenza], home=corso)
    login(client, picker)

    assert pick(client, order, duomo.pk).status_code == 404
    assert pick(client, order, piacenza.pk).status_code == 302
    assert ship(client, order, piacenza.pk, "BRT-1").status_code == 302
    assert status_at(order, piacenza) == SHIPPED
    assert status_at(order, duomo) == PENDING


def test_a_step_without_a_named_part_works_as_before(
    client, two_warehouses, piacenza, verona, duomo
):
    """A form naming no part works on the shop's own part; on an order split over
    two warehouses there is none, and the page names them instead."""
    order = two_warehouses
    hq(client, at=duomo)
    assert pick(client, order).status_code == 404
    assert set(order.fulfilments.values_list("status", flat=True)) == {PENDING}


# --- the picking list -----------------------------------------------------------------


def warehouse_card(html: str, order, location) -> str:
    marker = f'data-testid="warehouse-{order.number}-{location.pk}"'
    assert marker in html
    return html.split(marker)[1].split("</table>")[0]


def test_hqs_picking_list_shows_the_warehouse_parts_to_pick_and_ship(
    client, two_warehouses, warehouse_and_shop, piacenza, verona, duomo
):
    hq(client, at=duomo)
    pick(client, two_warehouses, verona.pk)

    page = client.get(reverse("staff:picking"))
    html = page.content.decode()
    assert 'data-testid="warehouses"' in html
    listed = [o.number for o in page.context["at_warehouses"]]
    assert listed == [two_warehouses.number, warehouse_and_shop.number]
    to_pick = warehouse_card(html, two_warehouses, piacenza)
    assert "Mark picked" in to_pick and "COAT-BLK-L" in to_pick
    assert f'name="location" value="{piacenza.pk}"' in to_pick
    to_ship = warehouse_card(html, two_warehouses, verona)
    assert 'name="tracking_reference"' in to_ship and "Mark picked" not in to_ship
    shelf = warehouse_card(html, warehouse_and_shop, piacenza)
    assert "<strong>3</strong>" in shelf  # Piacenza's three shirts, not Duomo's one
    # the shop's own part is Duomo's list, not the warehouses'
    assert f'data-testid="warehouse-{warehouse_and_shop.number}-{duomo.pk}"' not in html

    # worked from the list: it comes back to the list, the part moves on
    done = client.post(
        reverse("staff:order_ship", args=[two_warehouses.number]),
        {
            "location": verona.pk,
            "tracking_reference": "VR-1",
            "from": "picking",
            "next": reverse("staff:picking"),
        },
    )
    assert done.status_code == 302 and done["Location"] == reverse("staff:picking")
    assert status_at(two_warehouses, verona) == SHIPPED


def test_only_those_working_warehouses_see_the_warehouse_section(
    client, warehouse_and_shop, piacenza, duomo, corso
):
    login(client, StaffFactory(store=duomo))
    page = client.get(reverse("staff:picking"))
    assert 'data-testid="warehouses"' not in page.content.decode()

    picker = StaffFactory(username="picker", store=corso)
    assign_role(user=picker, role=Role.ASSOCIATE, shops=[corso, piacenza], home=corso)
    login(client, picker)
    page = client.get(reverse("staff:picking"))
    assert [o.number for o in page.context["at_warehouses"]] == [
        warehouse_and_shop.number
    ]


@pytest.mark.parametrize("count", [1, 6])
def test_the_warehouse_section_costs_the_same_queries_for_any_length(
    client, piacenza, verona, duomo, django_assert_max_num_queries, count, monkeypatch
):
    monkeypatch.setattr(picking_views, "PICKING_PAGE_SIZE", 4)
    for _ in range(count):  # each order split over both warehouses
        coat = VariantFactory()
        stock(coat, piacenza, 3)
        stock(coat, verona, 2)
        delivery_order(lines=[(coat, 5)])
    hq(client, at=duomo)
    client.get(reverse("staff:picking"))  # a session's first request notes its time
    # 7 for the shop's sections (nothing to do at Duomo), 3 for the warehouses',
    # and a count when they hold more than the section shows
    with django_assert_max_num_queries(11):
        page = client.get(reverse("staff:picking"))
    assert len(page.context["at_warehouses"]) == min(count, 4)
    assert page.context["at_warehouses_count"] == count
    parts = [len(o.warehouse_parts) for o in page.context["at_warehouses"]]
    assert parts == [2] * min(count, 4)
