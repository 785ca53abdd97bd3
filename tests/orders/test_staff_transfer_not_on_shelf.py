"""*Not on our shelf* on an order's transfer, for the shop sending it before it
ships: the units it cannot find are written off there as a count, the rest of the
transfer's hold is given back, the transfer ends closed short with nothing sent,
and the order asks again for all it was to bring, as for a transfer closed short;
its history and the customer's timeline say so. With no other source nothing
changes; the pickup shop, or any other shop, finds no such page; more units than
the transfer carries is a form error."""

from decimal import Decimal

import pytest
from django.urls import reverse

from customers.models import CustomerEvent
from inventory.models import (
    MovementReason,
    StockLevel,
    StockMovement,
    Transfer,
    TransferStatus,
)
from inventory.services.transfers import receive_transfer, ship_transfer
from omnistore.staff.once import new_token
from orders.models import Order
from orders.services.fulfilment import mark_picked, mark_ready
from orders.services.pickups import collect_order
from tests.factories import StaffFactory, VariantFactory, stock
from tests.orders.factories import pickup_order, shop, warehouse
from tests.orders.returns_helpers import api_client_for, shopper

pytestmark = pytest.mark.django_db


@pytest.fixture
def store():
    return shop(code="MI01", name="Milano Duomo")


@pytest.fixture
def torino():
    return shop(code="TO01", name="Torino Centro", ships_online_orders=True)


@pytest.fixture
def coat(torino):
    item = VariantFactory(sku="COAT-BLK-L", price=Decimal("200.00"))
    stock(item, torino, 1)
    return item


@pytest.fixture
def customer():
    return shopper()[1]


@pytest.fixture
def order(store, coat, customer):
    """One coat for pickup at a shop without any: Torino sends it."""
    return pickup_order(store=store, lines=[(coat, 1)], customer=customer)


@pytest.fixture
def transfer(order, torino):
    sent = Transfer.objects.get(reference_id=order.number)
    assert sent.source == torino
    return sent


@pytest.fixture
def sender(torino):
    return StaffFactory(store=torino)


def page(transfer):
    return reverse("staff:transfer_not_on_shelf", args=[transfer.pk])


def missing(client, transfer, coat, units=1):
    return client.post(
        page(transfer),
        {"item": coat.pk, "units": units, "reason": "not found", "once": new_token()},
    )


def level(item, location):
    return StockLevel.objects.get(variant=item, location=location)


def nothing_changed(transfer, coat, torino, history):
    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.REQUESTED
    assert (level(coat, torino).on_hand, level(coat, torino).reserved) == (1, 1)
    assert not StockMovement.objects.filter(reason=MovementReason.COUNT).exists()
    order = transfer_order(transfer)
    assert order.fulfilments.get().transfer == transfer
    assert order.history.count() == history


def transfer_order(transfer):
    return Order.objects.get(number=transfer.reference_id)


def test_the_sender_closes_it_short_and_the_order_asks_elsewhere(
    client, order, transfer, coat, torino, sender, customer
):
    napoli = warehouse(code="NA-DC", name="Napoli DC")
    stock(coat, napoli, 3)
    client.force_login(sender)
    detail = client.get(reverse("staff:transfer_detail", args=[transfer.pk]))
    assert page(transfer) in detail.content.decode()
    assert client.get(page(transfer)).status_code == 200

    sent = missing(client, transfer, coat)

    assert sent.status_code == 302
    assert (level(coat, torino).on_hand, level(coat, torino).reserved) == (0, 0)
    count = StockMovement.objects.get(location=torino, reason=MovementReason.COUNT)
    assert (count.delta_on_hand, count.delta_reserved) == (-1, -1)
    assert (count.reference_type, count.reference_id) == ("transfer", str(transfer.pk))
    assert count.actor == sender
    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.RECEIVED
    assert transfer.status_label == "Closed short (1 missing)"
    part = order.fulfilments.get()
    assert part.transfer.source == napoli and part.location == napoli
    change = order.history.order_by("pk").last()
    assert change.actor == sender and change.location == torino
    assert change.note.startswith(
        f"COAT-BLK-L ×1 not on the shelf at Torino Centro (not found): transfer "
        f"{transfer} closed short, nothing sent; asked again from Napoli DC"
    )
    assert CustomerEvent.objects.filter(
        customer=customer, kind="order_not_on_shelf", reference_id=order.number
    ).exists()
    closed = client.get(reverse("staff:transfer_detail", args=[transfer.pk]))
    said = closed.content.decode()
    assert "what did not arrive comes on transfer" in said
    assert str(part.transfer) in said


def test_with_no_other_source_nothing_changes(
    client, order, transfer, coat, torino, sender
):
    history = order.history.count()
    client.force_login(sender)

    refused = missing(client, transfer, coat)

    assert refused.status_code == 422
    html = refused.content.decode()
    assert "No other location can send the units of transfer" in html
    assert 'data-testid="ship-instead"' in html
    nothing_changed(transfer, coat, torino, history)


def test_the_pickup_shop_and_other_shops_find_no_such_page(
    client, order, transfer, coat, torino, store
):
    napoli = warehouse(code="NA-DC", name="Napoli DC")
    stock(coat, napoli, 3)
    history = order.history.count()
    for user in (StaffFactory(store=store), StaffFactory(store=shop(code="RM01"))):
        client.force_login(user)
        assert client.get(page(transfer)).status_code == 404
        assert missing(client, transfer, coat).status_code == 404
    nothing_changed(transfer, coat, torino, history)


def test_more_units_than_on_the_transfer_is_a_form_error(
    client, order, transfer, coat, torino, sender
):
    napoli = warehouse(code="NA-DC", name="Napoli DC")
    stock(coat, napoli, 3)
    history = order.history.count()
    client.force_login(sender)

    refused = missing(client, transfer, coat, units=2)

    assert refused.status_code == 422
    assert refused.context["form"].errors["units"] == [
        "At most 1: the units held for it here."
    ]
    nothing_changed(transfer, coat, torino, history)


def far_shop():
    """A shop that ships online orders, farther from the pickup shop than the
    sender: sourcing asks it only after the sender."""
    return shop(
        code="NA01",
        name="Napoli Via Toledo",
        ships_online_orders=True,
        latitude=Decimal("40.851800"),
        longitude=Decimal("14.268100"),
    )


def test_the_sender_is_not_asked_again_though_its_books_count_more(
    client, order, transfer, coat, torino, sender
):
    stock(coat, torino, 2)  # two more on its books, free
    napoli = far_shop()
    stock(coat, napoli, 1)
    client.force_login(sender)

    assert missing(client, transfer, coat).status_code == 302

    part = order.fulfilments.get()
    assert part.transfer != transfer
    assert part.transfer.source == napoli and part.location == napoli
    assert (level(coat, torino).on_hand, level(coat, torino).reserved) == (2, 0)
    assert level(coat, napoli).reserved == 1


def test_when_only_the_sender_has_any_nothing_changes(
    client, order, transfer, coat, torino, sender
):
    stock(coat, torino, 2)
    history = order.history.count()
    client.force_login(sender)

    refused = missing(client, transfer, coat)

    assert refused.status_code == 422
    assert (
        "No other location can send the units of transfer" in refused.content.decode()
    )
    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.REQUESTED
    assert (level(coat, torino).on_hand, level(coat, torino).reserved) == (3, 1)
    assert not StockMovement.objects.filter(reason=MovementReason.COUNT).exists()
    assert order.fulfilments.get().transfer == transfer
    assert order.history.count() == history
    assert Transfer.objects.filter(reference_id=order.number).count() == 1


def test_the_customers_timeline_says_where_it_comes_from_not_why_nor_transfers(
    client, order, transfer, coat, torino, sender, customer
):
    napoli = far_shop()
    stock(coat, napoli, 1)
    client.force_login(sender)
    assert missing(client, transfer, coat).status_code == 302
    new = order.fulfilments.get().transfer

    timeline = api_client_for(customer.user).get("/api/v1/me/timeline/")

    assert timeline.status_code == 200
    [event] = [
        e for e in timeline.json()["results"] if e["kind"] == "order_not_on_shelf"
    ]
    said = event["summary"]
    assert said == (
        f"Order {order.number}: an item is coming from another of our locations"
    )
    for staff_only in ("not found", "Torino", str(transfer), str(new), "Napoli"):
        assert staff_only not in said
    change = order.history.order_by("pk").last()
    assert "not found" in change.note and str(new) in change.note


def test_the_pickup_shop_is_offered_its_shelf_only_once_the_transfer_arrived(
    client, order, transfer, store
):
    """While the coat is on its way, the order page leads to the transfer (where
    its sender reports it), not to a shelf with nothing on it for the order."""
    associate = StaffFactory(store=store)
    client.force_login(associate)
    detail = reverse("staff:order_detail", args=[order.number])
    shelf = reverse("staff:order_not_on_shelf", args=[order.number])

    waiting = client.get(detail).content.decode()

    assert 'data-testid="not-on-shelf"' not in waiting and shelf not in waiting
    assert reverse("staff:transfer_detail", args=[transfer.pk]) in waiting

    ship_transfer(transfer=transfer)
    receive_transfer(transfer=transfer, actor=associate)
    arrived = client.get(detail).content.decode()

    assert f"{shelf}?location={store.pk}" in arrived


def what_the_transfer_page_says(client, transfer) -> str:
    page = client.get(reverse("staff:transfer_detail", args=[transfer.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    start = html.index('data-testid="transfer-order"')
    return html[start : html.index("</p>", start)]


def test_a_transfer_received_before_its_unit_went_missing_says_the_customer_waits(
    client, order, transfer, coat, store
):
    associate = StaffFactory(store=store)
    receive_transfer(transfer=ship_transfer(transfer=transfer), actor=associate)
    napoli = far_shop()
    stock(coat, napoli, 1)
    client.force_login(associate)
    reported = client.post(
        reverse("staff:order_not_on_shelf", args=[order.number]),
        {
            "location": store.pk,
            "item": order.lines.get().pk,
            "units": 1,
            "reason": "not in the stockroom",
            "once": new_token(),
        },
    )
    assert reported.status_code == 302
    again = order.fulfilments.get().transfer
    assert again != transfer

    text = what_the_transfer_page_says(client, transfer)

    assert "cancelled" not in text and "free stock" not in text
    assert text.startswith('data-testid="transfer-order">Brought the goods of')
    assert f"order {order.number}</a>, whose customer waits for them" in text
    assert str(again) in text


def test_a_transfer_closed_before_it_shipped_never_says_it_brought_the_goods(
    client, order, transfer, coat, store, sender
):
    napoli = far_shop()
    stock(coat, napoli, 1)
    client.force_login(sender)
    assert missing(client, transfer, coat).status_code == 302
    again = order.fulfilments.get().transfer
    associate = StaffFactory(store=store)
    receive_transfer(transfer=ship_transfer(transfer=again), actor=associate)
    mark_picked(order=order, actor=associate, location=store)
    ready = mark_ready(order=order, actor=associate, location=store)
    collect_order(order=ready, actor=associate, code=ready.pickup_code, location=store)
    client.force_login(associate)

    text = what_the_transfer_page_says(client, transfer)

    assert "Brought" not in text and "cancelled" not in text
    assert text.startswith('data-testid="transfer-order">Was to bring the goods of')
    assert (
        f"order {order.number}</a>, handed over to its customer: nothing was sent on it"
    ) in text
    assert "Brought the goods of" in what_the_transfer_page_says(client, again)


def test_held_again_at_the_pickup_shop_the_timeline_says_it_is_set_aside_there(
    client, order, transfer, coat, store, sender, customer
):
    stock(coat, store, 1)  # free at the pickup shop since the order was placed
    client.force_login(sender)

    assert missing(client, transfer, coat).status_code == 302

    event = CustomerEvent.objects.get(customer=customer, kind="order_not_on_shelf")
    assert event.summary == (
        f"Order {order.number}: an item is set aside again at Milano Duomo"
    )
    assert "held what Milano Duomo has free" in order.history.order_by("pk").last().note
