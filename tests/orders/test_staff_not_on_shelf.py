"""*Not on our shelf*, on the staff order page: units held for a pickup that the
shop picking it cannot find are written off there as a count (the ledger naming
the order and who), their hold given up, and asked again from another location as
the missing units of a transfer closed short are; the order's history and the
customer's timeline say so. When no location can send them nothing changes and
the page says so, offering the cancel. Another shop's associate finds no such
page; more units than held is a form error."""

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
from omnistore.core.exceptions import ValidationFailed
from omnistore.staff.once import new_token
from orders.services.shortage import report_not_on_shelf
from tests.factories import StaffFactory, VariantFactory, stock
from tests.orders.factories import pickup_order, shop, warehouse
from tests.orders.returns_helpers import shopper

pytestmark = pytest.mark.django_db


@pytest.fixture
def store():
    return shop(code="MI01", name="Milano Duomo")


@pytest.fixture
def coat(store):
    item = VariantFactory(sku="COAT-BLK-L", price=Decimal("200.00"))
    stock(item, store, 1)
    return item


@pytest.fixture
def customer():
    return shopper()[1]


@pytest.fixture
def order(store, coat, customer):
    """One coat for pickup at the shop that has it: held on its shelf."""
    return pickup_order(store=store, lines=[(coat, 1)], customer=customer)


@pytest.fixture
def associate(store):
    return StaffFactory(store=store)


def page(order):
    return reverse("staff:order_not_on_shelf", args=[order.number])


def missing(client, order, store, units=1, reason="not in the stockroom either"):
    return client.post(
        page(order),
        {
            "location": store.pk,
            "item": order.lines.get().pk,
            "units": units,
            "reason": reason,
            "once": new_token(),
        },
    )


def level(item, location):
    return StockLevel.objects.get(variant=item, location=location)


def nothing_changed(order, coat, store, history):
    assert (level(coat, store).on_hand, level(coat, store).reserved) == (1, 1)
    assert not StockMovement.objects.filter(reason=MovementReason.COUNT).exists()
    part = order.fulfilments.get()
    assert part.location == store and part.transfer is None
    assert order.history.count() == history


def test_a_held_unit_not_found_is_written_off_and_asked_from_another_location(
    client, store, coat, order, associate, customer
):
    napoli = warehouse(code="NA-DC", name="Napoli DC")
    stock(coat, napoli, 3)
    client.force_login(associate)
    detail = client.get(reverse("staff:order_detail", args=[order.number]))
    assert page(order) in detail.content.decode()
    form = client.get(page(order), {"location": store.pk})
    assert form.status_code == 200
    assert "COAT-BLK-L" in form.content.decode()

    sent = missing(client, order, store)

    assert sent.status_code == 302
    assert sent["Location"] == reverse("staff:order_detail", args=[order.number])
    assert (level(coat, store).on_hand, level(coat, store).reserved) == (0, 0)
    count = StockMovement.objects.get(location=store, reason=MovementReason.COUNT)
    assert (count.delta_on_hand, count.delta_reserved) == (-1, -1)
    assert (count.reference_type, count.reference_id) == ("order", order.number)
    assert count.actor == associate
    assert "not in the stockroom either" in count.note
    assert not Reservation.objects.filter(
        location=store, reference_id=order.number, status=ReservationStatus.ACTIVE
    ).exists()
    part = order.fulfilments.get()
    assert part.transfer.source == napoli and part.location == napoli
    assert part.pickup_location == store
    assert level(coat, napoli).reserved == 1
    change = order.history.order_by("pk").last()
    assert change.actor == associate and change.location == store
    assert change.note.startswith(
        "COAT-BLK-L ×1 not on the shelf at Milano Duomo (not in the stockroom "
        f"either); asked again from Napoli DC on {part.transfer}"
    )
    event = CustomerEvent.objects.get(customer=customer, kind="order_not_on_shelf")
    assert event.reference_id == order.number
    assert event.summary == (
        f"Order {order.number}: an item is coming from another of our locations"
    )


def test_with_no_other_source_nothing_changes_and_the_cancel_is_offered(
    client, store, coat, order, associate
):
    history = order.history.count()
    client.force_login(associate)

    refused = missing(client, order, store)

    assert refused.status_code == 422
    html = refused.content.decode()
    assert "No other location can send COAT-BLK-L ×1" in html
    assert 'data-testid="offer-cancel"' in html
    assert f"{reverse('staff:order_detail', args=[order.number])}#cancel" in html
    nothing_changed(order, coat, store, history)


def test_another_shops_associate_finds_no_such_page(client, store, coat, order):
    napoli = warehouse(code="NA-DC", name="Napoli DC")
    stock(coat, napoli, 3)
    history = order.history.count()
    elsewhere = StaffFactory(store=shop(code="RM01", name="Roma Corso"))
    client.force_login(elsewhere)

    assert client.get(page(order), {"location": store.pk}).status_code == 404
    assert client.get(page(order)).status_code == 404
    assert missing(client, order, store).status_code == 404
    nothing_changed(order, coat, store, history)


def test_more_units_than_held_is_a_form_error(client, store, coat, order, associate):
    napoli = warehouse(code="NA-DC", name="Napoli DC")
    stock(coat, napoli, 3)
    history = order.history.count()
    client.force_login(associate)

    refused = missing(client, order, store, units=2)

    assert refused.status_code == 422
    assert refused.context["form"].errors["units"] == [
        "At most 1: the units held for it here."
    ]
    nothing_changed(order, coat, store, history)


def test_the_service_refuses_more_than_held_and_keeps_the_rest_held(
    store, coat, customer, associate
):
    stock(coat, store, 1)  # two on the shelf, both held for the order
    order = pickup_order(store=store, lines=[(coat, 2)], customer=customer)
    line = order.lines.get()
    napoli = warehouse(code="NA-DC", name="Napoli DC")
    stock(coat, napoli, 3)
    with pytest.raises(ValidationFailed) as error:
        report_not_on_shelf(
            order=order,
            line_id=line.pk,
            units=3,
            reason="gone",
            location=store,
            actor=associate,
        )
    assert error.value.extra == {"units": ["At most 2: the units held for it here."]}

    report_not_on_shelf(
        order=order,
        line_id=line.pk,
        units=1,
        reason="gone",
        location=store,
        actor=associate,
    )

    assert (level(coat, store).on_hand, level(coat, store).reserved) == (1, 1)
    [held] = Reservation.objects.filter(
        location=store, reference_id=order.number, status=ReservationStatus.ACTIVE
    )
    assert held.quantity == 1
    part = order.fulfilments.get()
    assert part.transfer.source == napoli
    assert part.transfer.lines.get().quantity == 1


def test_the_shop_that_cannot_find_it_is_not_asked_again_though_its_books_count_more(
    client, store, coat, order, associate
):
    stock(coat, store, 1)  # one more on its books, free
    napoli = warehouse(code="NA-DC", name="Napoli DC")
    stock(coat, napoli, 3)
    client.force_login(associate)

    assert missing(client, order, store).status_code == 302

    part = order.fulfilments.get()
    assert part.transfer.source == napoli and part.location == napoli
    assert (level(coat, store).on_hand, level(coat, store).reserved) == (1, 0)
    assert not Reservation.objects.filter(
        location=store, reference_id=order.number, status=ReservationStatus.ACTIVE
    ).exists()


def test_when_only_the_shop_that_cannot_find_it_has_any_nothing_changes(
    client, store, coat, order, associate
):
    stock(coat, store, 1)
    history = order.history.count()
    client.force_login(associate)

    refused = missing(client, order, store)

    assert refused.status_code == 422
    assert "No other location can send COAT-BLK-L ×1" in refused.content.decode()
    assert (level(coat, store).on_hand, level(coat, store).reserved) == (2, 1)
    assert not StockMovement.objects.filter(reason=MovementReason.COUNT).exists()
    part = order.fulfilments.get()
    assert part.location == store and part.transfer is None
    assert order.history.count() == history
