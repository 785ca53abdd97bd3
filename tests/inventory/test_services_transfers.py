"""Transfers between locations: requested → in transit → (partially) received, or
cancelled before shipping. Each step moves stock through the ledger and is recorded
with who did it."""

import pytest
from django.db import IntegrityError, transaction
from django.db.models import F

from inventory import selectors
from inventory.models import (
    MovementReason,
    Reservation,
    ReservationStatus,
    StockLevel,
    StockMovement,
    Transfer,
    TransferEvent,
    TransferLine,
    TransferStatus,
)
from inventory.services.transfers import (
    cancel_transfer,
    close_transfer_short,
    receive_transfer,
    request_transfer,
    ship_transfer,
)
from omnistore.core.exceptions import (
    IllegalTransition,
    InsufficientStock,
    ValidationFailed,
)
from tests.factories import (
    LocationFactory,
    StaffFactory,
    VariantFactory,
    WarehouseFactory,
    stock,
)

pytestmark = pytest.mark.django_db


def assert_books_balance():
    """The ledger sums to every level, and the database rejects impossible levels."""
    assert selectors.ledger_discrepancies() == []
    for level in StockLevel.objects.all():
        for change in (
            {"on_hand": -1},
            {"reserved": -1},
            {"reserved": F("on_hand") + 1},
        ):
            with pytest.raises(IntegrityError), transaction.atomic():
                StockLevel.objects.filter(pk=level.pk).update(**change)
    assert selectors.ledger_discrepancies() == []


def quantities(variant, location) -> tuple[int, int]:
    """(on_hand, reserved); (0, 0) where the item was never stocked."""
    level = StockLevel.objects.filter(variant=variant, location=location).first()
    return (level.on_hand, level.reserved) if level else (0, 0)


def snapshot():
    return (
        list(
            StockLevel.objects.order_by("pk").values_list("pk", "on_hand", "reserved")
        ),
        StockMovement.objects.count(),
        list(Transfer.objects.order_by("pk").values_list("pk", "status")),
        list(
            TransferLine.objects.order_by("pk").values_list(
                "pk", "quantity_shipped", "quantity_received"
            )
        ),
        TransferEvent.objects.count(),
        list(Reservation.objects.order_by("pk").values_list("pk", "status")),
    )


@pytest.fixture
def warehouse():
    return WarehouseFactory(code="WH-N")


@pytest.fixture
def shop():
    return LocationFactory(code="SHOP-MI")


@pytest.fixture
def shirt(warehouse):
    variant = VariantFactory(sku="SHIRT-M")
    stock(variant, warehouse, 10)
    return variant


@pytest.fixture
def jeans(warehouse):
    variant = VariantFactory(sku="JEANS-32")
    stock(variant, warehouse, 4)
    return variant


@pytest.fixture
def clerk(warehouse):
    return StaffFactory(username="clerk", store=warehouse)


@pytest.fixture
def associate(shop):
    return StaffFactory(username="associate", store=shop)


@pytest.fixture
def requested(warehouse, shop, shirt, jeans, clerk):
    return request_transfer(
        source=warehouse,
        destination=shop,
        lines=[(shirt, 5), (jeans, 2)],
        actor=clerk,
        note="weekend restock",
    )


def ship(transfer, actor=None):
    return ship_transfer(transfer=transfer, actor=actor)


# --- request -----------------------------------------------------------------------


def test_request_reserves_the_quantities_at_the_source(
    requested, warehouse, shop, shirt, jeans, clerk
):
    assert requested.status == TransferStatus.REQUESTED
    assert requested.requested_by == clerk
    assert [(x.variant_id, x.quantity) for x in requested.lines.all()] == [
        (shirt.pk, 5),
        (jeans.pk, 2),
    ]
    assert quantities(shirt, warehouse) == (10, 5)
    assert quantities(jeans, warehouse) == (4, 2)
    assert quantities(shirt, shop) == (0, 0)
    held = Reservation.objects.filter(reference_type="transfer")
    assert {(r.variant_id, r.location_id, r.quantity) for r in held} == {
        (shirt.pk, warehouse.pk, 5),
        (jeans.pk, warehouse.pk, 2),
    }
    assert {r.reference_id for r in held} == {str(requested.pk)}
    [event] = requested.events.all()
    assert (event.from_status, event.to_status) == ("", TransferStatus.REQUESTED)
    assert (event.actor, event.note) == (clerk, "weekend restock")
    assert_books_balance()


def test_request_adds_up_repeated_lines(warehouse, shop, shirt):
    transfer = request_transfer(
        source=warehouse, destination=shop, lines=[(shirt, 2), (shirt, 3)]
    )

    assert [x.quantity for x in transfer.lines.all()] == [5]
    assert quantities(shirt, warehouse) == (10, 5)
    assert_books_balance()


def test_same_source_and_destination_is_refused_and_nothing_is_created(
    warehouse, shirt
):
    before = snapshot()

    with pytest.raises(ValidationFailed) as exc:
        request_transfer(source=warehouse, destination=warehouse, lines=[(shirt, 1)])

    assert "destination" in exc.value.extra
    assert snapshot() == before
    assert not Transfer.objects.exists()
    assert_books_balance()


@pytest.mark.parametrize(
    ("lines", "field"),
    [([], "lines"), ([("shirt", 0)], "quantity"), ([("shirt", -2)], "quantity")],
)
def test_request_needs_lines_with_positive_quantities(
    warehouse, shop, shirt, lines, field
):
    lines = [(shirt, qty) for _name, qty in lines]
    before = snapshot()

    with pytest.raises(ValidationFailed) as exc:
        request_transfer(source=warehouse, destination=shop, lines=lines)

    assert field in exc.value.extra
    assert snapshot() == before


def test_request_beyond_source_stock_is_refused_as_a_whole(
    warehouse, shop, shirt, jeans
):
    before = snapshot()

    with pytest.raises(InsufficientStock) as exc:
        request_transfer(
            source=warehouse, destination=shop, lines=[(shirt, 5), (jeans, 9)]
        )

    assert [(s["sku"], s["available"]) for s in exc.value.lines] == [("JEANS-32", 4)]
    assert snapshot() == before
    assert not Transfer.objects.exists()
    assert not TransferEvent.objects.exists()
    assert_books_balance()


# --- ship --------------------------------------------------------------------------


def test_ship_moves_the_reserved_stock_out_of_the_source(
    requested, warehouse, shop, shirt, jeans, clerk
):
    shipped = ship(requested, actor=clerk)

    assert shipped.status == TransferStatus.IN_TRANSIT
    assert shipped.shipped_at is not None
    assert quantities(shirt, warehouse) == (5, 0)
    assert quantities(jeans, warehouse) == (2, 0)
    assert quantities(shirt, shop) == (0, 0)
    assert [(x.quantity_shipped, x.quantity_received) for x in shipped.lines.all()] == [
        (5, 0),
        (2, 0),
    ]
    out = StockMovement.objects.filter(reason=MovementReason.TRANSFER_OUT)
    assert sorted((m.delta_on_hand, m.delta_reserved) for m in out) == [
        (-5, -5),
        (-2, -2),
    ]
    assert {(m.reference_type, m.reference_id, m.actor) for m in out} == {
        ("transfer", str(requested.pk), clerk)
    }
    assert not Reservation.objects.filter(status=ReservationStatus.ACTIVE).exists()
    assert_books_balance()


# --- receive -----------------------------------------------------------------------


def test_partial_receipt_then_full_receipt(
    requested, warehouse, shop, shirt, jeans, associate
):
    ship(requested)

    partly = receive_transfer(
        transfer=requested.pk, quantities={shirt.pk: 3}, actor=associate, note="box 1"
    )

    assert partly.status == TransferStatus.PARTIALLY_RECEIVED
    assert partly.received_at is None
    assert quantities(shirt, shop) == (3, 0)
    assert quantities(jeans, shop) == (0, 0)
    lines = {x.variant_id: x for x in partly.lines.all()}
    assert (lines[shirt.pk].quantity_received, lines[shirt.pk].outstanding) == (3, 2)
    assert (lines[jeans.pk].quantity_received, lines[jeans.pk].outstanding) == (0, 2)
    assert_books_balance()

    done = receive_transfer(transfer=requested, actor=associate)

    assert done.status == TransferStatus.RECEIVED
    assert done.received_at is not None
    assert quantities(shirt, shop) == (5, 0)
    assert quantities(jeans, shop) == (2, 0)
    assert quantities(shirt, warehouse) == (5, 0)
    ins = StockMovement.objects.filter(reason=MovementReason.TRANSFER_IN)
    assert sorted((m.variant_id, m.delta_on_hand) for m in ins) == sorted(
        [(shirt.pk, 3), (shirt.pk, 2), (jeans.pk, 2)]
    )
    assert {m.location_id for m in ins} == {shop.pk}
    assert {m.actor for m in ins} == {associate}
    assert_books_balance()


def test_receiving_more_than_shipped_is_refused_and_changes_nothing(
    requested, shirt, jeans, associate
):
    ship(requested)
    before = snapshot()

    with pytest.raises(ValidationFailed) as exc:
        receive_transfer(
            transfer=requested, quantities={shirt.pk: 6, jeans.pk: 1}, actor=associate
        )

    assert set(exc.value.extra) == {"SHIRT-M"}
    assert "Only 5" in exc.value.extra["SHIRT-M"][0]
    assert snapshot() == before
    assert_books_balance()


def test_after_a_partial_receipt_only_the_outstanding_units_can_arrive(
    requested, shop, shirt
):
    ship(requested)
    receive_transfer(transfer=requested, quantities={shirt.pk: 4})
    before = snapshot()

    with pytest.raises(ValidationFailed):
        receive_transfer(transfer=requested, quantities={shirt.pk: 2})

    assert snapshot() == before
    assert quantities(shirt, shop) == (4, 0)
    receive_transfer(transfer=requested, quantities={shirt.pk: 1})
    assert quantities(shirt, shop) == (5, 0)
    assert_books_balance()


@pytest.mark.parametrize(
    "received",
    [
        pytest.param(lambda shirt, other: {other.pk: 1}, id="item-not-on-transfer"),
        pytest.param(lambda shirt, other: {shirt.pk: 0}, id="nothing"),
        pytest.param(lambda shirt, other: {}, id="empty"),
        pytest.param(lambda shirt, other: {shirt.pk: -1}, id="negative"),
    ],
)
def test_receipt_must_match_the_transfer(requested, shirt, received):
    ship(requested)
    other = VariantFactory()
    before = snapshot()

    with pytest.raises(ValidationFailed):
        receive_transfer(transfer=requested, quantities=received(shirt, other))

    assert snapshot() == before
    assert_books_balance()


# --- cancel and illegal transitions ------------------------------------------------


def test_cancel_releases_the_reserved_stock(requested, warehouse, shirt, jeans, clerk):
    cancelled = cancel_transfer(transfer=requested, actor=clerk, note="no van")

    assert cancelled.status == TransferStatus.CANCELLED
    assert quantities(shirt, warehouse) == (10, 0)
    assert quantities(jeans, warehouse) == (4, 0)
    assert set(
        Reservation.objects.filter(reference_type="transfer").values_list(
            "status", flat=True
        )
    ) == {ReservationStatus.RELEASED}
    last = cancelled.events.last()
    assert (last.from_status, last.to_status) == ("requested", "cancelled")
    assert (last.actor, last.note) == (clerk, "no van")
    assert_books_balance()


def _ship(t):
    ship_transfer(transfer=t)


def _receive(t):
    receive_transfer(transfer=t)


def _cancel(t):
    cancel_transfer(transfer=t)


@pytest.mark.parametrize(
    ("steps", "illegal", "current", "target"),
    [
        ([_ship], _ship, "in_transit", "in_transit"),
        ([_ship], _cancel, "in_transit", "cancelled"),
        ([], _receive, "requested", "received"),
        ([_ship, _receive], _receive, "received", "received"),
        ([_ship, _receive], _ship, "received", "in_transit"),
        ([_ship, _receive], _cancel, "received", "cancelled"),
        ([_cancel], _ship, "cancelled", "in_transit"),
        ([_cancel], _receive, "cancelled", "received"),
        ([_cancel], _cancel, "cancelled", "cancelled"),
    ],
    ids=[
        "ship-twice",
        "cancel-in-transit",
        "receive-before-ship",
        "receive-twice",
        "ship-received",
        "cancel-received",
        "ship-cancelled",
        "receive-cancelled",
        "cancel-twice",
    ],
)
def test_illegal_transitions_are_refused_and_change_nothing(
    requested, steps, illegal, current, target
):
    for step in steps:
        step(requested)
    before = snapshot()

    with pytest.raises(IllegalTransition) as exc:
        illegal(requested)

    assert exc.value.extra == {"from": current, "to": target}
    assert exc.value.status == 409
    assert snapshot() == before
    assert_books_balance()


def test_cancel_after_a_partial_receipt_is_refused(requested, shirt):
    ship(requested)
    receive_transfer(transfer=requested, quantities={shirt.pk: 1})

    with pytest.raises(IllegalTransition):
        cancel_transfer(transfer=requested)

    requested.refresh_from_db()
    assert requested.status == TransferStatus.PARTIALLY_RECEIVED


# --- history -----------------------------------------------------------------------


def test_every_step_is_recorded_with_who_moved_it(
    warehouse, shop, shirt, clerk, associate
):
    manager = StaffFactory(username="manager", store=shop)
    transfer = request_transfer(
        source=warehouse, destination=shop, lines=[(shirt, 4)], actor=manager
    )
    ship_transfer(transfer=transfer, actor=clerk, note="van 3")
    receive_transfer(transfer=transfer, quantities={shirt.pk: 1}, actor=associate)
    receive_transfer(transfer=transfer, actor=associate, note="all in")

    history = [
        (e.from_status, e.to_status, e.actor.username, e.note)
        for e in TransferEvent.objects.filter(transfer=transfer).order_by("id")
    ]
    assert history == [
        ("", "requested", "manager", ""),
        ("requested", "in_transit", "clerk", "van 3"),
        ("in_transit", "partially_received", "associate", ""),
        ("partially_received", "received", "associate", "all in"),
    ]
    assert all(
        e.created_at is not None
        for e in TransferEvent.objects.filter(transfer=transfer)
    )
    assert quantities(shirt, shop) == (4, 0)
    assert quantities(shirt, warehouse) == (6, 0)
    assert_books_balance()


# --- close short ----------------------------------------------------------------------


def test_only_a_shipped_transfer_can_be_closed_short(requested, associate):
    with pytest.raises(IllegalTransition):
        close_transfer_short(transfer=requested, actor=associate, reason="lost")
    assert Transfer.objects.get(pk=requested.pk).status == TransferStatus.REQUESTED


def test_closing_short_changes_no_stock_and_keeps_the_reason(
    requested, associate, shirt, shop, warehouse
):
    ship(requested)
    movements = StockMovement.objects.count()
    with pytest.raises(ValidationFailed):
        close_transfer_short(transfer=requested, actor=associate, reason=" ")
    transfer = close_transfer_short(
        transfer=requested, actor=associate, reason="carrier lost it"
    )
    assert transfer.status == TransferStatus.RECEIVED
    assert StockMovement.objects.count() == movements
    assert not StockLevel.objects.filter(location=shop).exists()
    event = TransferEvent.objects.filter(transfer=transfer).latest("pk")
    assert event.actor == associate
    assert event.note.startswith("Closed short: carrier lost it (missing SHIRT-M ×5")


def test_a_close_short_of_many_lines_says_what_is_missing_without_cutting_a_line(
    warehouse, shop, clerk, associate
):
    lines = [(VariantFactory(sku=f"SWEATER-MERINO-{n:02d}"), 1) for n in range(1, 13)]
    for variant, _ in lines:
        stock(variant, warehouse, 1)
    transfer = request_transfer(
        source=warehouse, destination=shop, lines=lines, actor=clerk
    )
    ship(transfer)
    reason = "The carrier's van was in an accident near Lodi; boxes 2 and 3 lost."

    close_transfer_short(transfer=transfer, actor=associate, reason=reason)

    note = TransferEvent.objects.filter(transfer=transfer).latest("pk").note
    assert note.startswith(f"Closed short: {reason} (missing SWEATER-MERINO-01 ×1")
    assert note.endswith(" more lines)") and len(note) <= 250
    shown = note.count("SWEATER-MERINO-")
    assert note.endswith(f"and {12 - shown} more lines)")


def test_a_close_short_reason_is_refused_when_too_long_to_keep(requested, associate):
    ship(requested)
    with pytest.raises(ValidationFailed) as refused:
        close_transfer_short(transfer=requested, actor=associate, reason="x" * 121)
    assert "reason" in refused.value.extra
    assert Transfer.objects.get(pk=requested.pk).status == TransferStatus.IN_TRANSIT


def test_asks_not_shipped_in_time_lapse_and_free_what_they_held(settings):
    """An ask for stock nobody shipped within OMNISTORE_TRANSFER_ASK_DAYS lapses
    (the beat task): cancelled, its units free at the source, the history saying
    why. A recent ask, one already shipped and one an order waits for stay."""
    from datetime import timedelta

    from django.utils import timezone

    from inventory.tasks import lapse_stale_asks_task

    settings.OMNISTORE_TRANSFER_ASK_DAYS = 7
    source, shop = WarehouseFactory(), LocationFactory()
    shirt = VariantFactory()
    stock(shirt, source, 20)

    def ask(units, days_ago, **extra):
        transfer = request_transfer(
            source=source, destination=shop, lines=[(shirt, units)], **extra
        )
        Transfer.objects.filter(pk=transfer.pk).update(
            created_at=timezone.now() - timedelta(days=days_ago)
        )
        return transfer

    stale = ask(2, days_ago=8)
    recent = ask(3, days_ago=6)
    shipped = ask(4, days_ago=9)
    ship_transfer(transfer=shipped)
    for_order = ask(5, days_ago=9, reference_type="order", reference_id="OS-1")
    assert quantities(shirt, source) == (16, 10)

    assert lapse_stale_asks_task() == 1
    statuses = dict(Transfer.objects.values_list("pk", "status"))
    assert statuses == {
        stale.pk: TransferStatus.CANCELLED,
        recent.pk: TransferStatus.REQUESTED,
        shipped.pk: TransferStatus.IN_TRANSIT,
        for_order.pk: TransferStatus.REQUESTED,
    }
    assert quantities(shirt, source) == (16, 8)  # the lapsed ask's 2 are free
    event = TransferEvent.objects.filter(transfer=stale).order_by("pk").last()
    assert event.to_status == TransferStatus.CANCELLED
    assert "Not shipped within 7 days" in event.note
    assert lapse_stale_asks_task() == 0  # nothing more to lapse
    assert_books_balance()
