"""*Not on our shelf* for a delivery, on the staff order page: units held at a
ship-from-store shop for a parcel it has not picked yet that it cannot find are
written off there as a count, and the whole parcel leaves instead from one other
location that can send all of it: the first shop's holds given back, everything
the parcel ships held at the new one, which then picks and ships it. The order's
history names both; the customer's timeline only says the parcel leaves from
another of our locations. When no one location can send it all nothing changes;
another shop's associate finds no such page; more units than held is a form
error."""

from decimal import Decimal

import pytest
from django.urls import reverse

from customers.models import CustomerEvent
from inventory.models import (
    MovementReason,
    Reservation,
    ReservationStatus,
    StockLevel,
    StockMovement,
)
from inventory.selectors import ledger_discrepancies
from omnistore.core.exceptions import Conflict
from omnistore.staff.once import new_token
from orders.models import FulfilmentStatus, OrderStatus
from orders.services.fulfilment import mark_picked, ship_order
from orders.services.shortage import report_not_on_shelf
from tests.factories import LocationFactory, StaffFactory, VariantFactory, stock
from tests.orders.factories import delivery_order
from tests.orders.returns_helpers import shopper
from tests.orders.test_api_orders import client_for

pytestmark = pytest.mark.django_db


def ships_online(code, name, city, lat, lng):
    return LocationFactory(
        code=code,
        name=name,
        city=city,
        latitude=Decimal(lat),
        longitude=Decimal(lng),
        ships_online_orders=True,
    )


@pytest.fixture
def milano():
    return ships_online("MI01", "Milano Duomo", "Milano", "45.464200", "9.190000")


@pytest.fixture
def roma():
    return ships_online("RM01", "Roma Corso", "Roma", "41.902800", "12.496400")


@pytest.fixture
def coat(milano):
    item = VariantFactory(sku="COAT-BLK-L", price=Decimal("200.00"))
    stock(item, milano, 1)
    return item


@pytest.fixture
def shirt(milano):
    item = VariantFactory(sku="SHIRT-BLU-M", price=Decimal("40.00"))
    stock(item, milano, 2)
    return item


@pytest.fixture
def buyer():
    return shopper()


@pytest.fixture
def order(milano, coat, shirt, buyer):
    """A coat and two shirts delivered from Milano, the one shop that had them
    when the order was placed: held on its shelf."""
    placed = delivery_order(lines=[(coat, 1), (shirt, 2)], customer=buyer[1])
    assert {part.location for part in placed.fulfilments.all()} == {milano}
    return placed


@pytest.fixture
def associate(milano):
    return StaffFactory(store=milano)


def page(order):
    return reverse("staff:order_not_on_shelf", args=[order.number])


def line_of(order, item):
    return order.lines.get(variant=item)


def missing(client, order, location, line, units=1, reason="not in the stockroom"):
    return client.post(
        page(order),
        {
            "location": location.pk,
            "item": line.pk,
            "units": units,
            "reason": reason,
            "once": new_token(),
        },
    )


def level(item, location) -> tuple[int, int]:
    found = StockLevel.objects.filter(variant=item, location=location).first()
    return (found.on_hand, found.reserved) if found else (0, 0)


def held_at(order, location) -> dict[str, int]:
    held: dict[str, int] = {}
    for res in Reservation.objects.filter(
        reference_id=order.number, location=location, status=ReservationStatus.ACTIVE
    ).select_related("variant"):
        held[res.variant.sku] = held.get(res.variant.sku, 0) + res.quantity
    return held


def nothing_changed(order, milano, coat, shirt, history):
    assert (level(coat, milano), level(shirt, milano)) == ((1, 1), (2, 2))
    assert held_at(order, milano) == {"COAT-BLK-L": 1, "SHIRT-BLU-M": 2}
    assert not StockMovement.objects.filter(reason=MovementReason.COUNT).exists()
    assert not StockMovement.objects.filter(reason=MovementReason.RELEASE).exists()
    part = order.fulfilments.get()
    assert part.location == milano and part.status == FulfilmentStatus.PENDING
    assert order.history.count() == history


def test_a_unit_missing_moves_the_whole_parcel_to_one_other_shop(
    client, milano, roma, coat, shirt, order, associate, buyer
):
    stock(coat, roma, 2)
    stock(shirt, roma, 3)
    client.force_login(associate)
    detail = client.get(reverse("staff:order_detail", args=[order.number]))
    assert f"{page(order)}?location={milano.pk}" in detail.content.decode()
    form = client.get(page(order), {"location": milano.pk})
    assert form.status_code == 200
    assert [label for _, label in form.context["form"].fields["item"].choices] == [
        f"COAT-BLK-L · {coat.name} — 1 held",
        f"SHIRT-BLU-M · {shirt.name} — 2 held",
    ]
    assert "the whole parcel leaves instead" in form.content.decode()

    sent = missing(client, order, milano, line_of(order, coat))

    assert sent.status_code == 302
    assert sent["Location"] == reverse("staff:order_detail", args=[order.number])
    # Milano: the coat written off as a count, the shirts given back, nothing held
    assert (level(coat, milano), level(shirt, milano)) == ((0, 0), (2, 0))
    count = StockMovement.objects.get(location=milano, reason=MovementReason.COUNT)
    assert (count.variant, count.delta_on_hand, count.delta_reserved) == (coat, -1, -1)
    assert (count.reference_type, count.reference_id) == ("order", order.number)
    assert count.actor == associate and "not in the stockroom" in count.note
    release = StockMovement.objects.get(location=milano, reason=MovementReason.RELEASE)
    assert (release.variant, release.delta_reserved) == (shirt, -2)
    assert release.actor == associate and release.reference_id == order.number
    assert held_at(order, milano) == {}
    # Roma holds all the parcel ships, and sends it
    assert held_at(order, roma) == {"COAT-BLK-L": 1, "SHIRT-BLU-M": 2}
    assert (level(coat, roma), level(shirt, roma)) == ((2, 1), (3, 2))
    part = order.fulfilments.get()
    assert part.location == roma and part.status == FulfilmentStatus.PENDING
    assert part.transfer is None
    change = order.history.order_by("pk").last()
    assert change.actor == associate and change.location == milano
    assert change.note == (
        "COAT-BLK-L ×1 not on the shelf at Milano Duomo (not in the stockroom); "
        "the parcel now leaves from Roma Corso"
    )
    event = CustomerEvent.objects.get(customer=buyer[1], kind="order_not_on_shelf")
    assert event.summary == (
        f"Order {order.number}: the parcel will leave from another of our locations"
    )
    # The customer's API names the new source
    api = client_for(buyer[0]).get(f"/api/v1/orders/{order.number}/").json()
    assert [p["location"]["name"] for p in api["fulfilments"]] == ["Roma Corso"]


def test_after_the_move_the_new_shop_picks_it_and_the_first_one_does_not(
    client, milano, roma, coat, shirt, order, associate
):
    stock(coat, roma, 2)
    stock(shirt, roma, 3)
    client.force_login(associate)
    assert missing(client, order, milano, line_of(order, coat)).status_code == 302

    picking = client.get(reverse("staff:picking")).context
    assert order.number not in [o.number for o in picking["to_pick"]]
    detail = client.get(reverse("staff:order_detail", args=[order.number]))
    assert 'data-testid="not-on-shelf"' not in detail.content.decode()
    pick = reverse("staff:order_pick", args=[order.number])
    assert client.post(pick, {"location": milano.pk}).status_code == 404

    client.force_login(StaffFactory(store=roma))
    picking = client.get(reverse("staff:picking")).context
    assert order.number in [o.number for o in picking["to_pick"]]
    detail = client.get(reverse("staff:order_detail", args=[order.number]))
    assert f"{page(order)}?location={roma.pk}" in detail.content.decode()
    assert client.post(pick, {"location": roma.pk}).status_code == 302
    assert order.fulfilments.get().status == FulfilmentStatus.PICKED


def test_with_no_other_shop_holding_it_all_nothing_changes(
    client, milano, roma, coat, shirt, order, associate
):
    """Roma has the coats, another shop the shirts: the parcel would leave in two,
    so no one location can send it."""
    stock(coat, roma, 2)
    torino = ships_online("TO01", "Torino Centro", "Torino", "45.070300", "7.686900")
    stock(shirt, torino, 3)
    history = order.history.count()
    client.force_login(associate)

    refused = missing(client, order, milano, line_of(order, coat))

    assert refused.status_code == 422
    html = refused.content.decode()
    assert (
        f"No other location can send the whole parcel for order {order.number} now: "
        "nothing was changed." in html
    )
    assert 'data-testid="offer-cancel"' in html
    nothing_changed(order, milano, coat, shirt, history)
    assert held_at(order, roma) == {} and held_at(order, torino) == {}


def test_the_service_refuses_with_no_other_source_and_keeps_everything(
    milano, coat, shirt, order, associate
):
    stock(coat, milano, 1)  # its books count one more coat free
    history = order.history.count()

    with pytest.raises(Conflict) as refused:
        report_not_on_shelf(
            order=order,
            line_id=line_of(order, shirt).pk,
            units=2,
            reason="gone",
            location=milano,
            actor=associate,
        )

    assert refused.value.code == "no_other_source"
    assert level(coat, milano) == (2, 1)
    assert level(shirt, milano) == (2, 2)
    assert held_at(order, milano) == {"COAT-BLK-L": 1, "SHIRT-BLU-M": 2}
    assert not StockMovement.objects.filter(reason=MovementReason.COUNT).exists()
    assert order.fulfilments.get().location == milano
    assert order.history.count() == history


def test_a_shop_with_a_parcel_of_the_order_picked_is_not_given_another(
    milano, roma, coat, shirt, buyer, associate
):
    """Split between Milano (the coat) and Roma (the shirts), Roma's parcel picked:
    its shipping takes the order's holds there, so Milano's is not moved to it."""
    stock(shirt, roma, 2)
    StockLevel.objects.filter(variant=shirt, location=milano).update(safety_stock=2)
    order = delivery_order(lines=[(coat, 1), (shirt, 2)], customer=buyer[1])
    assert sorted(p.location.code for p in order.fulfilments.all()) == [
        "MI01",
        "RM01",
    ]
    mark_picked(order=order, location=roma)
    stock(coat, roma, 1)

    with pytest.raises(Conflict) as refused:
        report_not_on_shelf(
            order=order,
            line_id=line_of(order, coat).pk,
            units=1,
            reason="gone",
            location=milano,
            actor=associate,
        )

    assert refused.value.code == "no_other_source"
    assert level(coat, milano) == (1, 1)
    assert order.fulfilments.get(location=milano).status == FulfilmentStatus.PENDING


def test_a_parcel_moved_to_a_shop_with_another_part_leaves_with_it(
    milano, roma, coat, shirt, buyer, associate
):
    """Split between Milano (the coat) and Roma (the shirts), nothing picked yet:
    Milano's parcel moves to Roma, which picks and ships both parts as one."""
    stock(shirt, roma, 2)
    StockLevel.objects.filter(variant=shirt, location=milano).update(safety_stock=2)
    order = delivery_order(lines=[(coat, 1), (shirt, 2)], customer=buyer[1])
    stock(coat, roma, 1)

    step = report_not_on_shelf(
        order=order,
        line_id=line_of(order, coat).pk,
        units=1,
        reason="gone",
        location=milano,
        actor=associate,
    )

    assert step == "the parcel now leaves from Roma Corso"
    assert set(order.fulfilments.values_list("location", flat=True)) == {roma.pk}
    assert held_at(order, roma) == {"COAT-BLK-L": 1, "SHIRT-BLU-M": 2}
    mark_picked(order=order, location=roma)
    ship_order(order=order, location=roma, tracking_reference="RM-12345")
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED
    assert (level(coat, roma), level(shirt, roma)) == ((0, 0), (0, 0))
    assert level(coat, milano) == (0, 0)
    assert ledger_discrepancies() == []


def test_another_shops_associate_finds_no_such_page(
    client, milano, roma, coat, shirt, order, associate
):
    stock(coat, roma, 2)
    stock(shirt, roma, 3)
    history = order.history.count()
    client.force_login(associate)
    mine = client.get(page(order), {"location": milano.pk})
    assert line_of(order, coat).pk in dict(mine.context["form"].fields["item"].choices)
    client.force_login(StaffFactory(store=roma))

    assert client.get(page(order), {"location": milano.pk}).status_code == 404
    assert client.get(page(order)).status_code == 404
    assert missing(client, order, milano, line_of(order, coat)).status_code == 404
    nothing_changed(order, milano, coat, shirt, history)


def test_more_units_than_held_is_a_form_error(
    client, milano, roma, coat, shirt, order, associate
):
    stock(coat, roma, 2)
    stock(shirt, roma, 3)
    history = order.history.count()
    client.force_login(associate)

    refused = missing(client, order, milano, line_of(order, shirt), units=3)

    assert refused.status_code == 422
    assert refused.context["form"].errors["units"] == [
        "At most 2: the units held for it here."
    ]
    nothing_changed(order, milano, coat, shirt, history)
