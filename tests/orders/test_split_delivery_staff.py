"""An online delivery split over three shops, worked from the staff pages: each shop
picks and ships its own parcel from its picking list, with its own tracking number;
staff over several shops work on the part of the shop they are working in."""

import pytest
from django.urls import reverse

from inventory.models import MovementReason, StockMovement
from omnistore.accounts.models import Role
from omnistore.accounts.services import assign_role
from omnistore.staff.auth import SESSION_STORE_KEY
from orders.models import FulfilmentStatus, OrderStatus
from tests.factories import StaffFactory, UserFactory
from tests.orders.test_split_delivery_services import (
    part,
    split_order,
    split_shops,
    statuses,
)

pytestmark = pytest.mark.django_db

PENDING, PICKED, SHIPPED = (
    FulfilmentStatus.PENDING,
    FulfilmentStatus.PICKED,
    FulfilmentStatus.SHIPPED,
)


@pytest.fixture
def split():
    return split_shops()


@pytest.fixture
def order(split):
    return split_order(split)


def login(client, user, *, at=None):
    client.force_login(user)
    if at is not None:
        session = client.session
        session[SESSION_STORE_KEY] = at.pk
        session.save()
    return client


def associate_of(client, shop):
    return login(client, StaffFactory(store=shop))


def pick(client, order):
    return client.post(
        reverse("staff:order_pick", args=[order.number]),
        {"from": "picking", "next": reverse("staff:picking")},
    )


def ship(client, order, tracking):
    return client.post(
        reverse("staff:order_ship", args=[order.number]),
        {"tracking_reference": tracking, "from": "picking"},
    )


def picking_page(client):
    response = client.get(reverse("staff:picking"))
    assert response.status_code == 200
    return response


def shelf(orders, order) -> list[tuple[str, int]]:
    """The lines a picking section shows for ``order``: (SKU, units)."""
    (found,) = [o for o in orders if o.number == order.number]
    return [(line.sku, line.quantity) for line in found.shelf_lines]


def shipped_from(order) -> set[int]:
    return set(
        StockMovement.objects.filter(
            reference_id=order.number, reason=MovementReason.SHIPMENT
        ).values_list("location_id", flat=True)
    )


def test_a_shop_ships_its_own_parcel_and_the_others_still_have_theirs_to_pick(
    client, split, order
):
    associate_of(client, split.milano)
    assert pick(client, order).status_code == 302
    assert ship(client, order, "MI-1").status_code == 302

    order.refresh_from_db()
    assert order.status == OrderStatus.PICKED
    assert statuses(order, split) == [SHIPPED, PENDING, PENDING]
    assert [part(order, shop).tracking_reference for shop in split.shops] == [
        "MI-1",
        "",
        "",
    ]
    assert shipped_from(order) == {split.milano.pk}
    # Milano's list has nothing more for it; Roma and Napoli still pick their part
    milano = picking_page(client).context
    assert order.number not in [o.number for o in milano["to_pick"] + milano["to_ship"]]
    associate_of(client, split.roma)
    roma = picking_page(client)
    assert shelf(roma.context["to_pick"], order) == [
        ("COAT-BLK-L", 1),
        ("JEANS-IND-32", 2),
    ]
    assert [o.number for o in roma.context["to_ship"]] == []
    assert f'data-testid="pick-{order.number}"' in roma.content.decode()
    associate_of(client, split.napoli)
    napoli = picking_page(client).context
    assert shelf(napoli["to_pick"], order) == [("COAT-BLK-L", 1)]


def test_the_picked_section_shows_only_this_shops_lines(client, split, order):
    associate_of(client, split.milano)
    pick(client, order)

    page = picking_page(client)
    assert shelf(page.context["to_ship"], order) == [
        ("COAT-BLK-L", 1),
        ("SHIRT-BLU-M", 1),
    ]
    card = page.content.decode().split(f'data-testid="ship-{order.number}"')[1]
    card = card.split("</article>")[0]
    assert "SHIRT-BLU-M" in card and "JEANS-IND-32" not in card
    assert card.count("Via Torino 1") <= 1 and card.count("20123") == 1

    associate_of(client, split.roma)
    roma = picking_page(client).context
    assert [o.number for o in roma["to_ship"]] == []  # Roma has not picked yet
    assert [o.number for o in roma["to_pick"]] == [order.number]


def test_every_shop_ships_its_parcel_and_then_the_order_is_shipped(
    client, split, order
):
    for shop, tracking in zip(split.shops, ["MI-1", "RM-2", "NA-3"], strict=True):
        associate_of(client, shop)
        assert pick(client, order).status_code == 302
        assert ship(client, order, tracking).status_code == 302

    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED
    assert [part(order, shop).tracking_reference for shop in split.shops] == [
        "MI-1",
        "RM-2",
        "NA-3",
    ]
    assert shipped_from(order) == {shop.pk for shop in split.shops}
    page = client.get(reverse("staff:order_detail", args=[order.number]))
    html = page.content.decode()
    for tracking in ("MI-1", "RM-2", "NA-3"):
        assert tracking in html


def test_the_order_page_offers_each_shop_the_step_its_own_part_is_at(
    client, split, order
):
    associate_of(client, split.milano)
    pick(client, order)
    milano = client.get(reverse("staff:order_detail", args=[order.number])).context
    assert (milano["can_pick"], milano["can_ship"]) == (False, True)
    ship(client, order, "MI-1")
    milano = client.get(reverse("staff:order_detail", args=[order.number])).context
    assert (milano["can_pick"], milano["can_ship"]) == (False, False)

    associate_of(client, split.roma)
    roma = client.get(reverse("staff:order_detail", args=[order.number]))
    assert (roma.context["can_pick"], roma.context["can_ship"]) == (True, False)
    html = roma.content.decode()
    assert 'data-testid="order-status">Picked<' in html
    assert "Partly shipped: 1 of 3 parcels" in html
    assert "MI-1" in html  # Milano's parcel, with its tracking, in the fulfilments
    assert 'data-testid="cancel-rest"' in html  # cancelling now: what has not left


def test_a_second_tap_on_pick_says_this_shops_part_was_already_picked(
    client, split, order
):
    associate_of(client, split.milano)
    pick(client, order)
    again = client.post(reverse("staff:order_pick", args=[order.number]), follow=True)
    assert again.status_code == 200
    assert f"Order {order.number} was already picked" in again.content.decode()
    assert statuses(order, split) == [PICKED, PENDING, PENDING]


def test_shipping_a_part_not_picked_yet_is_refused_on_the_picking_list(
    client, split, order
):
    associate_of(client, split.milano)
    pick(client, order)
    associate_of(client, split.roma)

    response = ship(client, order, "RM-1")

    assert response.status_code == 422
    assert 'data-testid="action-error"' in response.content.decode()
    assert statuses(order, split) == [PICKED, PENDING, PENDING]
    assert shipped_from(order) == set()


def test_an_area_manager_works_on_the_part_of_the_shop_they_are_working_in(
    client, split, order
):
    manager = StaffFactory(username="area", role=Role.AREA_MANAGER, store=split.milano)
    assign_role(user=manager, role=Role.AREA_MANAGER, shops=[split.milano, split.roma])
    login(client, manager, at=split.roma)

    assert pick(client, order).status_code == 302
    assert ship(client, order, "RM-7").status_code == 302

    assert statuses(order, split) == [PENDING, SHIPPED, PENDING]
    assert part(order, split.roma).tracking_reference == "RM-7"
    assert part(order, split.milano).tracking_reference == ""
    assert shipped_from(order) == {split.roma.pk}
    change = order.history.order_by("at", "id").last()
    assert (change.actor, change.location) == (manager, split.roma)


def test_hq_works_on_the_part_of_the_shop_chosen_in_the_header(client, split, order):
    hq = UserFactory(username="hq", role=Role.HQ)
    login(client, hq, at=split.napoli)

    assert pick(client, order).status_code == 302
    assert ship(client, order, "NA-9").status_code == 302

    assert statuses(order, split) == [PENDING, PENDING, SHIPPED]
    assert shipped_from(order) == {split.napoli.pk}
    order.refresh_from_db()
    assert order.status == OrderStatus.PICKED


def test_staff_of_a_shop_without_a_part_in_the_order_cannot_pick_it(
    client, split, order
):
    hq = UserFactory(username="hq", role=Role.HQ)
    elsewhere = StaffFactory(store__code="TO01", store__name="Torino Via Roma").store
    login(client, hq, at=elsewhere)

    assert pick(client, order).status_code == 404
    assert statuses(order, split) == [PENDING, PENDING, PENDING]


def test_the_pick_message_says_which_part_was_picked(client, split, order):
    associate_of(client, split.milano)
    page = client.post(
        reverse("staff:order_pick", args=[order.number]), follow=True
    ).content.decode()
    assert f"Order {order.number}: the part from Milano Duomo picked." in page
    ship(client, order, "MI-1")
    associate_of(client, split.roma)
    picking = picking_page(client).content.decode()
    assert "the rest leaves from Napoli Toledo" in picking
    assert "Milano Duomo" not in picking.split("the rest leaves from")[1][:80]


def test_a_second_tap_on_ship_says_this_shops_part_was_already_shipped(
    client, split, order
):
    associate_of(client, split.milano)
    pick(client, order)
    ship(client, order, "MI-1")
    moved = StockMovement.objects.filter(reference_id=order.number).count()
    again = client.post(
        reverse("staff:order_ship", args=[order.number]),
        {"tracking_reference": "MI-1"},
        follow=True,
    )
    assert again.status_code == 200
    html = again.content.decode()
    assert f"Order {order.number}: the part from Milano Duomo was already shipped." in (
        html
    )
    assert 'data-testid="action-error"' not in html
    assert statuses(order, split) == [SHIPPED, PENDING, PENDING]
    assert shipped_from(order) == {split.milano.pk}
    assert StockMovement.objects.filter(reference_id=order.number).count() == moved
