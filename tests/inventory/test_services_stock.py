"""Receipts, adjustments, counts, reservations and sales through inventory.services.

Every scenario ends by proving the books: the ledger sums to the levels, and the
database itself refuses a level that breaks the stock invariants.
"""

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
)
from inventory.services.ledger import StockRequest
from inventory.services.reservations import (
    consume_reservations,
    release_reservations,
    reserve_stock,
    sell_stock,
)
from inventory.services.stock import adjust_stock, count_stock, receive_stock
from inventory.signals import stock_changed
from omnistore.core.exceptions import InsufficientStock, ValidationFailed
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


def level(variant, location) -> StockLevel:
    return StockLevel.objects.get(variant=variant, location=location)


def reserve(*lines, ref="1"):
    return reserve_stock(
        requests=[StockRequest(v.pk, loc.pk, q) for v, loc, q in lines],
        reference_type="order",
        reference_id=ref,
    )


@pytest.fixture
def variant():
    return VariantFactory(sku="TEE-M")


@pytest.fixture
def shop():
    return LocationFactory()


# --- database guard ----------------------------------------------------------------


def test_database_refuses_negative_on_hand_even_without_the_services(variant, shop):
    stock(variant, shop, 2)

    with pytest.raises(IntegrityError), transaction.atomic():
        StockLevel.objects.filter(variant=variant).update(on_hand=F("on_hand") - 3)

    assert level(variant, shop).on_hand == 2


def test_database_refuses_more_reserved_than_on_hand(variant, shop):
    stock(variant, shop, 2)

    with pytest.raises(IntegrityError), transaction.atomic():
        StockLevel.objects.filter(variant=variant).update(reserved=3)

    assert level(variant, shop).reserved == 0


# --- receipts ----------------------------------------------------------------------


def test_receiving_adds_on_hand_and_writes_one_receipt_movement(variant, shop):
    staff = StaffFactory(store=shop)

    receive_stock(variant=variant, location=shop, quantity=5, actor=staff)
    result = receive_stock(
        variant=variant,
        location=shop,
        quantity=3,
        actor=staff,
        reference_type="delivery",
        reference_id=42,
        note="pallet 2",
    )

    assert (result.on_hand, result.reserved, result.available) == (8, 0, 8)
    latest = StockMovement.objects.first()
    assert latest.reason == MovementReason.RECEIPT
    assert (latest.delta_on_hand, latest.delta_reserved) == (3, 0)
    assert (latest.reference_type, latest.reference_id) == ("delivery", "42")
    assert (latest.note, latest.actor) == ("pallet 2", staff)
    assert StockMovement.objects.count() == 2
    assert_books_balance()


@pytest.mark.parametrize("quantity", [0, -3, 1.5, True, "2"], ids=repr)
def test_receiving_a_non_positive_or_non_integer_quantity_changes_nothing(
    variant, shop, quantity
):
    with pytest.raises(ValidationFailed) as exc:
        receive_stock(variant=variant, location=shop, quantity=quantity)

    assert "quantity" in exc.value.extra
    assert not StockLevel.objects.exists()
    assert not StockMovement.objects.exists()


# --- adjustments -------------------------------------------------------------------


def test_found_goods_are_added_with_reason_note_and_actor(variant, shop):
    staff = StaffFactory(store=shop)
    stock(variant, shop, 2)

    result = adjust_stock(
        variant=variant, location=shop, delta=3, note="found in back room", actor=staff
    )

    assert result.on_hand == 5
    movement = StockMovement.objects.first()
    assert movement.reason == MovementReason.ADJUSTMENT
    assert movement.delta_on_hand == 3
    assert (movement.note, movement.actor) == ("found in back room", staff)
    assert_books_balance()


def test_damaged_goods_are_written_off(variant, shop):
    stock(variant, shop, 5)

    result = adjust_stock(
        variant=variant,
        location=shop,
        delta=-2,
        reason=MovementReason.DAMAGE,
        note="torn seams",
    )

    assert result.on_hand == 3
    assert StockMovement.objects.first().reason == MovementReason.DAMAGE
    assert_books_balance()


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"delta": -1, "note": "   "}, "note"),
        ({"delta": -1, "note": ""}, "note"),
        ({"delta": 0, "note": "nothing"}, "delta"),
        ({"delta": 1.0, "note": "float"}, "delta"),
        ({"delta": -1, "note": "sold", "reason": MovementReason.SALE}, "reason"),
        ({"delta": -1, "note": "x", "reason": "stolen"}, "reason"),
    ],
)
def test_adjustment_needs_a_whole_delta_an_adjustment_reason_and_a_note(
    variant, shop, kwargs, field
):
    stock(variant, shop, 5)

    with pytest.raises(ValidationFailed) as exc:
        adjust_stock(variant=variant, location=shop, **kwargs)

    assert field in exc.value.extra
    assert level(variant, shop).on_hand == 5
    assert StockMovement.objects.count() == 1
    assert_books_balance()


def test_an_adjustment_is_its_own_reference_unless_another_move_caused_it(
    variant, shop
):
    stock(variant, shop, 5)

    adjust_stock(variant=variant, location=shop, delta=-1, note="lost")
    adjust_stock(
        variant=variant,
        location=shop,
        delta=-1,
        reason=MovementReason.DAMAGE,
        note="returned damaged",
        reference_type="return",
        reference_id="R-ABC123",
    )

    lost, damaged = StockMovement.objects.filter(delta_on_hand=-1).order_by("id")
    assert (lost.reference_type, lost.reference_id) == ("adjustment", "")
    assert (damaged.reference_type, damaged.reference_id) == ("return", "R-ABC123")
    assert level(variant, shop).on_hand == 3
    assert_books_balance()


def test_adjustment_cannot_write_off_stock_reserved_for_customers(variant, shop):
    stock(variant, shop, 5)
    reserve((variant, shop, 3))

    with pytest.raises(ValidationFailed) as exc:
        adjust_stock(variant=variant, location=shop, delta=-3, note="lost")

    assert exc.value.extra == {"delta": ["At most 2 units can be removed."]}
    assert (level(variant, shop).on_hand, level(variant, shop).reserved) == (5, 3)
    adjust_stock(variant=variant, location=shop, delta=-2, note="lost")
    assert (level(variant, shop).on_hand, level(variant, shop).available) == (3, 0)
    assert_books_balance()


def test_writing_off_where_nothing_is_stocked_leaves_no_trace(variant, shop):
    with pytest.raises(ValidationFailed):
        adjust_stock(variant=variant, location=shop, delta=-1, note="lost")

    assert not StockLevel.objects.exists()
    assert not StockMovement.objects.exists()


# --- counts ------------------------------------------------------------------------


@pytest.mark.parametrize(("counted", "delta"), [(7, 2), (3, -2), (5, 0), (0, -5)])
def test_count_sets_on_hand_and_ledgers_the_difference(variant, shop, counted, delta):
    staff = StaffFactory(store=shop)
    stock(variant, shop, 5)

    result = count_stock(variant=variant, location=shop, counted=counted, actor=staff)

    assert result.on_hand == counted
    assert level(variant, shop).on_hand == counted
    movement = StockMovement.objects.first()
    assert (movement.reason, movement.delta_on_hand) == (MovementReason.COUNT, delta)
    assert movement.actor == staff
    assert_books_balance()


def test_count_of_a_never_stocked_item_creates_its_level(variant, shop):
    count_stock(variant=variant, location=shop, counted=4)

    assert level(variant, shop).on_hand == 4
    assert_books_balance()


def test_count_cannot_go_below_reserved_units(variant, shop):
    stock(variant, shop, 5)
    reserve((variant, shop, 3))

    with pytest.raises(ValidationFailed) as exc:
        count_stock(variant=variant, location=shop, counted=2)

    assert "counted" in exc.value.extra
    assert level(variant, shop).on_hand == 5
    count_stock(variant=variant, location=shop, counted=3)
    assert level(variant, shop).available == 0
    assert_books_balance()


@pytest.mark.parametrize("counted", [-1, "4", 2.5, None])
def test_count_must_be_a_whole_number_of_zero_or_more(variant, shop, counted):
    stock(variant, shop, 5)

    with pytest.raises(ValidationFailed):
        count_stock(variant=variant, location=shop, counted=counted)

    assert level(variant, shop).on_hand == 5
    assert_books_balance()


# --- reservations ------------------------------------------------------------------


def test_reservation_holds_units_and_ledgers_them(variant, shop):
    stock(variant, shop, 5)

    [held] = reserve((variant, shop, 2), ref="SO-1")

    assert held.status == ReservationStatus.ACTIVE
    assert (held.quantity, held.reference_type, held.reference_id) == (
        2,
        "order",
        "SO-1",
    )
    lvl = level(variant, shop)
    assert (lvl.on_hand, lvl.reserved, lvl.available) == (5, 2, 3)
    movement = StockMovement.objects.first()
    assert (movement.reason, movement.delta_reserved) == (MovementReason.RESERVATION, 2)
    assert movement.delta_on_hand == 0
    assert_books_balance()


def test_multi_line_reservation_with_short_lines_reserves_nothing_and_names_them_all():
    warehouse, shop = WarehouseFactory(), LocationFactory()
    plenty = VariantFactory(sku="PLENTY")
    scarce = VariantFactory(sku="SCARCE")
    never = VariantFactory(sku="NEVER")
    stock(plenty, warehouse, 10)
    stock(scarce, shop, 4)
    reserve((scarce, shop, 2), ref="earlier")
    before = list(StockLevel.objects.values_list("pk", "on_hand", "reserved"))
    movements = StockMovement.objects.count()

    with pytest.raises(InsufficientStock) as exc:
        reserve((plenty, warehouse, 3), (scarce, shop, 5), (never, shop, 1), ref="SO-9")

    shortages = sorted(exc.value.lines, key=lambda line: line["sku"])
    assert shortages == [
        {
            "variant_id": never.pk,
            "sku": "NEVER",
            "location_id": shop.pk,
            "requested": 1,
            "available": 0,
        },
        {
            "variant_id": scarce.pk,
            "sku": "SCARCE",
            "location_id": shop.pk,
            "requested": 5,
            "available": 2,
        },
    ]
    assert exc.value.status == 409
    assert exc.value.code == "insufficient_stock"
    assert exc.value.extra == {"lines": exc.value.lines}
    assert "NEVER" in exc.value.message and "SCARCE" in exc.value.message
    assert list(StockLevel.objects.values_list("pk", "on_hand", "reserved")) == before
    assert StockMovement.objects.count() == movements
    assert not Reservation.objects.filter(reference_id="SO-9").exists()
    assert_books_balance()


def test_repeated_lines_for_the_same_item_are_checked_together(variant, shop):
    stock(variant, shop, 5)

    with pytest.raises(InsufficientStock) as exc:
        reserve((variant, shop, 3), (variant, shop, 3))

    assert [(s["requested"], s["available"]) for s in exc.value.lines] == [(6, 5)]
    assert level(variant, shop).reserved == 0
    [held] = reserve((variant, shop, 2), (variant, shop, 3))
    assert held.quantity == 5
    assert_books_balance()


def test_reserved_units_cannot_be_reserved_again(variant, shop):
    stock(variant, shop, 5)
    reserve((variant, shop, 4), ref="first")

    with pytest.raises(InsufficientStock) as exc:
        reserve((variant, shop, 2), ref="second")

    assert exc.value.lines[0]["available"] == 1
    assert level(variant, shop).reserved == 4
    assert_books_balance()


@pytest.mark.parametrize("quantity", [0, -1, 2.0])
def test_reservation_quantity_must_be_positive_whole(variant, shop, quantity):
    stock(variant, shop, 5)

    with pytest.raises(ValidationFailed):
        reserve((variant, shop, quantity))

    assert level(variant, shop).reserved == 0
    assert_books_balance()


def test_release_gives_units_back_once(variant, shop):
    staff = StaffFactory(store=shop)
    stock(variant, shop, 5)
    [held] = reserve((variant, shop, 3))

    released = release_reservations(
        reservations=[held], actor=staff, note="order cancelled"
    )

    assert [r.status for r in released] == [ReservationStatus.RELEASED]
    held.refresh_from_db()
    assert held.status == ReservationStatus.RELEASED
    assert (level(variant, shop).on_hand, level(variant, shop).reserved) == (5, 0)
    movement = StockMovement.objects.first()
    assert (movement.reason, movement.delta_reserved) == (MovementReason.RELEASE, -3)
    assert (movement.actor, movement.note) == (staff, "order cancelled")
    movements = StockMovement.objects.count()
    assert release_reservations(reservations=[held.pk]) == []
    assert StockMovement.objects.count() == movements
    assert level(variant, shop).reserved == 0
    assert_books_balance()


def test_consume_takes_units_out_of_on_hand_and_reserved(variant, shop):
    stock(variant, shop, 5)
    [held] = reserve((variant, shop, 3))

    consume_reservations(reservations=[held.pk], reason=MovementReason.PICKUP)

    held.refresh_from_db()
    assert held.status == ReservationStatus.CONSUMED
    assert (level(variant, shop).on_hand, level(variant, shop).reserved) == (2, 0)
    movement = StockMovement.objects.first()
    assert movement.reason == MovementReason.PICKUP
    assert (movement.delta_on_hand, movement.delta_reserved) == (-3, -3)
    # A consumed reservation is settled: releasing it later gives nothing back.
    assert release_reservations(reservations=[held]) == []
    assert consume_reservations(reservations=[held]) == []
    assert (level(variant, shop).on_hand, level(variant, shop).reserved) == (2, 0)
    assert_books_balance()


def test_settling_several_reservations_at_once(variant, shop):
    other = VariantFactory()
    stock(variant, shop, 5)
    stock(other, shop, 5)
    held = reserve((variant, shop, 2), (other, shop, 4))

    consume_reservations(reservations=held)

    assert level(variant, shop).on_hand == 3
    assert level(other, shop).on_hand == 1
    assert StockLevel.objects.filter(reserved__gt=0).count() == 0
    assert_books_balance()


# --- carry-out sales ---------------------------------------------------------------


def test_sale_takes_units_out_at_once(variant, shop):
    staff = StaffFactory(store=shop)
    stock(variant, shop, 5)

    sell_stock(
        requests=[StockRequest(variant.pk, shop.pk, 2)],
        reference_type="order",
        reference_id="S-1",
        actor=staff,
    )

    assert level(variant, shop).on_hand == 3
    movement = StockMovement.objects.first()
    assert (movement.reason, movement.delta_on_hand) == (MovementReason.SALE, -2)
    assert (movement.reference_id, movement.actor) == ("S-1", staff)
    assert_books_balance()


def test_sale_cannot_take_reserved_units_and_is_all_or_nothing(variant, shop):
    other = VariantFactory(sku="OTHER")
    stock(variant, shop, 5)
    stock(other, shop, 5)
    reserve((variant, shop, 4))

    with pytest.raises(InsufficientStock) as exc:
        sell_stock(
            requests=[
                StockRequest(other.pk, shop.pk, 1),
                StockRequest(variant.pk, shop.pk, 2),
            ],
            reference_type="order",
            reference_id="S-2",
        )

    assert [(s["sku"], s["requested"], s["available"]) for s in exc.value.lines] == [
        ("TEE-M", 2, 1)
    ]
    assert level(other, shop).on_hand == 5
    assert (level(variant, shop).on_hand, level(variant, shop).reserved) == (5, 4)
    assert_books_balance()


# --- announcements -----------------------------------------------------------------


def test_stock_changes_are_announced_only_after_commit(
    variant, shop, django_capture_on_commit_callbacks
):
    heard = []

    def listener(sender, changes, **kwargs):
        heard.append(changes)

    stock_changed.connect(listener)
    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            receive_stock(variant=variant, location=shop, quantity=1)
        assert heard == []
        for callback in callbacks:
            callback()
    finally:
        stock_changed.disconnect(listener)

    assert heard == [[(variant.pk, shop.pk)]]


def test_a_refused_request_announces_nothing(
    variant, shop, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks() as callbacks,
        pytest.raises(InsufficientStock),
    ):
        reserve((variant, shop, 1))

    assert callbacks == []


def test_holds_announce_only_the_locations_they_leave_without_free_units(
    variant, shop, django_capture_on_commit_callbacks
):
    """A hold cannot bring an item back, and one that leaves units free cannot empty
    its location: back in stock need not hear of it. The hold that takes the last free
    unit (the safety stock kept back) is heard."""
    other = VariantFactory(sku="TEE-L")
    stock(variant, shop, 5)
    stock(other, shop, 3)
    StockLevel.objects.filter(variant=other, location=shop).update(safety_stock=1)
    heard = []

    def listener(sender, changes, **kwargs):
        heard.append(changes)

    stock_changed.connect(listener)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            reserve((variant, shop, 2), (other, shop, 2))
        with django_capture_on_commit_callbacks(execute=True):
            reserve((variant, shop, 3), ref="2")
    finally:
        stock_changed.disconnect(listener)

    assert heard == [[(other.pk, shop.pk)], [(variant.pk, shop.pk)]]
    assert level(variant, shop).reserved == 5
