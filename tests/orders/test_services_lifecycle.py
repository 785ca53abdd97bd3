"""Order lifecycle through the services: sourcing, transitions, cancel, expiry."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from customers.models import CustomerEvent, LoyaltyTransaction
from inventory.models import (
    MovementReason,
    Reservation,
    StockLevel,
    StockMovement,
    Transfer,
    TransferStatus,
)
from inventory.selectors import ledger_discrepancies
from inventory.services.transfers import receive_transfer, ship_transfer
from omnistore.core.exceptions import (
    Conflict,
    IllegalTransition,
    InsufficientStock,
    ValidationFailed,
)
from orders.models import (
    CANCELLABLE_STATUSES,
    FulfilmentMethod,
    FulfilmentStatus,
    Order,
    OrderStatus,
    PaymentMethod,
    PaymentStatus,
    Refund,
)
from orders.selectors.orders import orders_awaiting_transfer, orders_to_pick
from orders.selectors.pickups import find_pickup, pickup_qr_payload, pickups_waiting
from orders.services.checkout import LineRequest, place_order
from orders.services.fulfilment import (
    can_move,
    cancel_order,
    mark_delivered,
    mark_picked,
    mark_ready,
    ship_order,
)
from orders.services.payments import PaymentRequest, refund_payment
from orders.services.pickups import (
    collect_order,
    expire_uncollected_pickups,
    send_pickup_reminders,
)
from orders.services.till import TillBooking
from tests.customers.factories import make_customer
from tests.factories import StaffFactory, stock
from tests.orders.factories import (
    deliver_outbox,
    delivery_order,
    pickup_order,
    ready_order,
    shop,
    stocked,
    warehouse,
)
from tests.orders.till_helpers import open_counter_till

pytestmark = pytest.mark.django_db


def held(variant, location) -> tuple[int, int]:
    lvl = StockLevel.objects.get(variant=variant, location=location)
    return lvl.on_hand, lvl.reserved


def test_a_pickup_placed_just_after_midnight_is_ready_on_the_shops_day():
    store = shop(latitude=Decimal("45.46"), longitude=Decimal("9.19"))
    depot = warehouse(latitude=Decimal("45.60"), longitude=Decimal("9.30"))
    local, remote = stocked(store, 3), stocked(depot, 4)
    # 00:30 in Rome on 6 December, as the clock gives it: 23:30 UTC on the 5th
    placed = datetime(2026, 12, 6, 0, 30, tzinfo=ZoneInfo("Europe/Rome")).astimezone(
        ZoneInfo("UTC")
    )

    order = pickup_order(store=store, lines=[(local, 1), (remote, 1)], now=placed)

    days = {f.location_id: f.ready_date for f in order.fulfilments.all()}
    assert days == {store.pk: date(2026, 12, 6), depot.pk: date(2026, 12, 8)}


def test_pickup_of_an_item_the_shop_lacks_is_transferred_and_ready_later():
    store = shop(latitude=Decimal("45.46"), longitude=Decimal("9.19"))
    depot = warehouse(latitude=Decimal("45.60"), longitude=Decimal("9.30"))
    local = stocked(store, 3)
    remote = stocked(depot, 4)
    staff = StaffFactory(store=store)

    order = pickup_order(store=store, lines=[(local, 1), (remote, 2)])

    fulfilments = {f.location_id: f for f in order.fulfilments.all()}
    assert set(fulfilments) == {store.pk, depot.pk}
    moved = fulfilments[depot.pk]
    assert moved.pickup_location_id == store.pk
    assert moved.transfer is not None
    assert moved.ready_date > fulfilments[store.pk].ready_date
    assert held(local, store) == (3, 1)
    assert held(remote, depot) == (4, 2)  # held at the source for the transfer
    assert orders_awaiting_transfer(location=store).get() == order
    assert not orders_to_pick(location=store).exists()

    with pytest.raises(Conflict) as waiting:
        mark_picked(order=order, actor=staff)
    assert waiting.value.code == "awaiting_transfer"

    ship_transfer(transfer=moved.transfer)
    receive_transfer(transfer=moved.transfer)
    assert orders_to_pick(location=store).get() == order
    mark_picked(order=order, actor=staff, location=store)
    assert held(remote, store) == (2, 2)  # arrived and held for the customer
    mark_ready(order=order, actor=staff, location=store)
    order.refresh_from_db()
    collect_order(order=order, actor=staff, code=order.pickup_code)
    assert held(remote, store) == (0, 0)
    assert held(local, store) == (2, 0)
    assert ledger_discrepancies() == []


def test_delivery_without_a_warehouse_holding_everything_uses_the_nearest_shipping_shop():
    far = shop(
        ships_online_orders=True, latitude=Decimal("41.90"), longitude=Decimal("12.49")
    )
    near = shop(
        ships_online_orders=True, latitude=Decimal("45.47"), longitude=Decimal("9.20")
    )
    depot = warehouse()
    item = stocked(depot, 1)
    stock(item, far, 5)
    stock(item, near, 5)
    other = stocked(depot, 5)

    order = delivery_order(
        lines=[(item, 2), (other, 1)],
        address={
            "line1": "Via Dante 1",
            "city": "Milano",
            "postcode": "20121",
            "latitude": 45.46,
            "longitude": 9.18,
        },
    )

    sources = {
        f.location_id: [line.variant_id for line in f.lines.all()]
        for f in order.fulfilments.all()
    }
    assert sources == {near.pk: [item.pk], depot.pk: [other.pk]}
    assert held(item, near) == (5, 2)
    assert held(item, far) == (5, 0)


def test_delivery_is_shipped_consuming_the_held_stock_then_delivered():
    depot = warehouse()
    item = stocked(depot, 3)
    order = delivery_order(lines=[(item, 2)])
    with pytest.raises(IllegalTransition):
        ship_order(order=order)  # not picked yet
    mark_picked(order=order)
    with pytest.raises(IllegalTransition):
        mark_ready(order=order)  # a delivery is never "ready for pickup"
    ship_order(order=order, tracking_reference="TRK-1")
    assert held(item, depot) == (1, 0)
    assert (
        StockMovement.objects.filter(
            reference_id=order.number, reason=MovementReason.SHIPMENT
        ).count()
        == 1
    )
    mark_delivered(order=order)
    order.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED
    assert set(order.fulfilments.values_list("status", flat=True)) == {"delivered"}
    with pytest.raises(IllegalTransition):
        cancel_order(order=order)
    assert ledger_discrepancies() == []


def test_illegal_transitions_are_refused_and_leave_no_history():
    store = shop()
    item = stocked(store, 2)
    order = pickup_order(store=store, lines=[(item, 1)])
    with pytest.raises(IllegalTransition) as error:
        mark_ready(order=order)
    assert error.value.extra == {"from": "placed", "to": "ready"}
    with pytest.raises(IllegalTransition):
        collect_order(order=order, actor=None, code="X")
    assert order.history.count() == 1


def test_a_wrong_pickup_code_does_not_release_the_goods():
    store = shop()
    item = stocked(store, 2)
    order = ready_order(store=store, lines=[(item, 1)])
    with pytest.raises(ValidationFailed) as error:
        collect_order(order=order, actor=None, code="WRONG1")
    assert error.value.extra == {"code": ["Wrong pickup code."]}
    with pytest.raises(ValidationFailed):
        collect_order(order=order, actor=None, identity_checked=True)
    staff = StaffFactory(store=store)
    collect_order(order=order, actor=staff, identity_checked=True, note="ID card AB123")
    order.refresh_from_db()
    assert order.status == OrderStatus.COLLECTED
    assert order.history.last().note == "Identity checked: ID card AB123"
    assert order.history.last().actor == staff


def test_cancel_releases_stock_refunds_once_and_reverses_points():
    store = shop()
    item = stocked(store, 4, price="30.00")
    order = pickup_order(store=store, lines=[(item, 2)])
    deliver_outbox()  # points are credited after commit
    order.refresh_from_db()
    assert order.loyalty_points == 60
    mark_picked(order=order)

    cancel_order(order=order, reason="Changed mind")

    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert held(item, store) == (4, 0)
    payment = order.payments.get()
    assert payment.status == PaymentStatus.REFUNDED
    assert payment.refunded_amount == Decimal("60.00")
    assert Refund.objects.filter(payment=payment).count() == 1
    order.customer.refresh_from_db()
    assert order.customer.points_balance == 0
    assert LoyaltyTransaction.objects.filter(reference_id=order.number).count() == 2
    with pytest.raises(IllegalTransition):
        cancel_order(order=order)
    assert ledger_discrepancies() == []


def test_a_refund_reference_pays_out_once_and_never_beyond_the_payment(provider):
    store = shop()
    item = stocked(store, 4, price="30.00")
    order = pickup_order(store=store, lines=[(item, 1)])
    payment = order.payments.get()
    first = refund_payment(
        payment=payment, amount=Decimal("10.00"), reason="Scratch", reference="r-1"
    )
    again = refund_payment(
        payment=payment, amount=Decimal("10.00"), reason="Scratch", reference="r-1"
    )
    assert first.pk == again.pk
    with pytest.raises(ValidationFailed):
        refund_payment(
            payment=payment, amount=Decimal("20.01"), reason="Too much", reference="r-2"
        )
    payment.refresh_from_db()
    assert payment.refunded_amount == Decimal("10.00")
    assert payment.status == PaymentStatus.CAPTURED
    assert "r-1" in provider.refunds and "r-2" not in provider.refunds


def test_a_cancelled_order_earns_no_points_even_if_the_credit_runs_late():
    store = shop()
    item = stocked(store, 4, price="30.00")
    order = pickup_order(store=store, lines=[(item, 1)])
    cancel_order(order=order, by_customer=True)
    deliver_outbox()
    order.refresh_from_db()
    assert order.loyalty_points == 0
    order.customer.refresh_from_db()
    assert order.customer.points_balance == 0


def test_uncollected_pickups_expire_after_the_window_and_are_refunded(settings):
    settings.OMNISTORE_PICKUP_EXPIRY_DAYS = 5
    store = shop()
    item = stocked(store, 3)
    order = ready_order(store=store, lines=[(item, 2)])
    ready = Order.objects.get(pk=order.pk)
    ends = timezone.localtime(ready.pickup_expires_at)  # the end of its last day
    assert ends.date() == timezone.localdate(ready.ready_at) + timedelta(days=5)

    assert expire_uncollected_pickups(now=ends - timedelta(minutes=1)) == []
    expired = expire_uncollected_pickups(now=ends + timedelta(minutes=1))

    assert expired == [order.number]
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert held(item, store) == (3, 0)
    assert order.payments.get().status == PaymentStatus.REFUNDED
    assert "Not collected within 5 days" in order.history.last().note
    assert set(order.fulfilments.values_list("status", flat=True)) == {
        FulfilmentStatus.CANCELLED
    }
    # Running again changes nothing.
    assert expire_uncollected_pickups(now=ends + timedelta(days=4)) == []
    assert Refund.objects.count() == 1
    assert ledger_discrepancies() == []


def test_pickup_reminder_goes_once_shortly_before_expiry(settings):
    settings.OMNISTORE_PICKUP_EXPIRY_DAYS = 7
    settings.OMNISTORE_PICKUP_REMINDER_DAYS = 2
    store = shop()
    order = ready_order(store=store, lines=[(stocked(store, 1), 1)])
    ends = Order.objects.get(pk=order.pk).pickup_expires_at

    assert send_pickup_reminders(now=ends - timedelta(days=3)) == []
    assert send_pickup_reminders(now=ends - timedelta(days=2) + timedelta(hours=1)) == [
        order.number
    ]
    assert send_pickup_reminders(now=ends - timedelta(days=1)) == []
    assert (
        CustomerEvent.objects.filter(
            kind="pickup_reminder", reference_id=order.number
        ).count()
        == 1
    )


def test_carry_out_sells_at_once_and_refuses_more_than_the_shop_has():
    store = shop()
    item = stocked(store, 2)
    staff = StaffFactory(store=store)
    with pytest.raises(InsufficientStock) as short:
        place_order(
            lines=[(item, 3)],
            channel="store",
            fulfilment="carry_out",
            placing_location=store,
            staff=staff,
            payments=[PaymentRequest(method="cash")],
        )
    assert short.value.lines[0]["available"] == 2
    assert not Order.objects.exists()
    order = place_order(
        lines=[(item, 2)],
        channel="store",
        fulfilment="carry_out",
        placing_location=store,
        staff=staff,
        payments=[
            PaymentRequest(method="cash", amount=Decimal("50")),
            PaymentRequest(method="card_in_store"),
        ],
    )
    assert order.customer is None  # a walk-in without contact details
    assert order.staff_member == staff
    assert sorted(p.amount for p in order.payments.all()) == [
        Decimal("49.80"),
        Decimal("50.00"),
    ]
    assert held(item, store) == (0, 0)
    assert (
        StockMovement.objects.get(reference_id=order.number).reason
        == MovementReason.SALE
    )


def test_payments_must_add_up_to_the_total():
    store = shop()
    item = stocked(store, 2, price="10.00")
    with pytest.raises(ValidationFailed) as error:
        place_order(
            lines=[(item, 1)],
            channel="store",
            fulfilment="carry_out",
            placing_location=store,
            payments=[PaymentRequest(method="cash", amount=Decimal("5.00"))],
        )
    assert "payment" in error.value.extra
    assert held(item, store) == (2, 0)


def test_retired_items_cannot_be_ordered():
    store = shop()
    item = stocked(store, 2)
    item.active = False
    item.save()
    with pytest.raises(ValidationFailed) as error:
        pickup_order(store=store, lines=[(item.pk, 1)])
    assert "variant" in error.value.extra


def test_staff_lists_for_a_shop_show_what_to_pick_and_what_waits_at_the_desk():
    store = shop()
    other = shop()
    item = stocked(store, 9)
    stock(item, other, 9)
    to_pick = pickup_order(store=store, lines=[(item, 1)])
    waiting = ready_order(store=store, lines=[(item, 1)])
    pickup_order(store=other, lines=[(item, 1)])
    assert list(orders_to_pick(location=store)) == [to_pick]
    assert list(pickups_waiting(location=store)) == [waiting]
    waiting.refresh_from_db()
    assert find_pickup(location=store, query=waiting.pickup_code) == waiting
    qr = pickup_qr_payload(waiting)
    assert find_pickup(location=store, query=qr) == waiting
    assert find_pickup(location=other, query=waiting.number) is None


def test_a_transfer_not_yet_shipped_is_cancelled_with_the_order():
    store = shop()
    depot = warehouse()
    item = stocked(depot, 2)
    order = pickup_order(store=store, lines=[(item, 2)])
    transfer = Transfer.objects.get()
    cancel_order(order=order)
    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.CANCELLED
    assert held(item, depot) == (2, 0)
    assert not Reservation.objects.filter(status="active").exists()
    assert ledger_discrepancies() == []


def test_history_records_who_when_and_why():
    store = shop()
    staff = StaffFactory(store=store)
    order = pickup_order(store=store, lines=[(stocked(store, 1), 1)])
    when = timezone.now() + timedelta(hours=1)
    mark_picked(order=order, actor=staff, location=store, note="Shelf B", now=when)
    change = order.history.last()
    assert (
        change.from_status,
        change.to_status,
        change.actor,
        change.at,
        change.note,
    ) == ("placed", "picked", staff, when, "Shelf B")
    assert change.location == store


def test_the_state_machine_table_says_which_moves_each_order_may_make():
    pickup = Order(status=OrderStatus.PICKED, fulfilment_method=FulfilmentMethod.PICKUP)
    delivery = Order(
        status=OrderStatus.PICKED, fulfilment_method=FulfilmentMethod.DELIVERY
    )
    assert can_move(pickup, OrderStatus.READY)
    assert not can_move(pickup, OrderStatus.SHIPPED)
    assert can_move(delivery, OrderStatus.SHIPPED)
    assert not can_move(delivery, OrderStatus.READY)
    assert not can_move(pickup, OrderStatus.COLLECTED)  # not ready yet
    assert {
        OrderStatus.PLACED,
        OrderStatus.PICKED,
        OrderStatus.READY,
    } == CANCELLABLE_STATUSES


def test_a_pickup_paid_in_cash_is_not_expired_by_the_clock(settings):
    """Its cash goes back from a till: it stays for the shop to cancel, and a card
    order due at the same time expires as usual."""
    settings.OMNISTORE_PICKUP_EXPIRY_DAYS = 5
    store = shop()
    associate = StaffFactory(store=store)
    cash = place_order(  # endless aisle: paid in cash at the counter, collected later
        lines=[LineRequest(stocked(store, 3), 1)],
        channel="store",
        fulfilment="pickup",
        pickup_store=store,
        placing_location=store,
        staff=associate,
        customer=make_customer(phone="+393331112233"),
        payments=[PaymentRequest(method=PaymentMethod.CASH)],
        till=TillBooking(open_counter_till(associate)),
    )
    mark_picked(order=cash)
    mark_ready(order=cash)
    card = ready_order(store=store, lines=[(stocked(store, 2), 1)])
    later = Order.objects.get(pk=card.pk).ready_at + timedelta(days=6)

    assert expire_uncollected_pickups(now=later) == [card.number]
    cash.refresh_from_db()
    assert cash.status == OrderStatus.READY
    assert not Refund.objects.filter(payment__order=cash).exists()
