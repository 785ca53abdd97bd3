"""A sale and an exchange, a return, a refund or a cancellation at the same till at
once all go through, on PostgreSQL: every transaction that books into a till locks
its session before any other row, so they queue at the till instead of each holding
what the other waits for.

Each test stalls the two at the worst moment: another connection holds a row the
first needs, the first and then the second are started and left waiting, then the
row is let go."""

import threading
import time
from decimal import Decimal

import pytest
from django.db import connection, transaction

from inventory.models import StockLevel
from omnistore.core.channels import Channel
from orders.models import OrderStatus, PaymentMethod, TillMovement, TillMovementKind
from orders.services.checkout import LineRequest, place_order
from orders.services.exchanges import exchange_items
from orders.services.fulfilment import cancel_order
from orders.services.payments import PaymentRequest
from orders.services.refunds import (
    receive_and_refund_return,
    refund_return,
    return_at_counter,
)
from orders.services.returns import ReturnLineRequest, request_return
from orders.services.till import TillBooking
from tests.customers.factories import make_customer
from tests.factories import StaffFactory
from tests.orders.factories import on_hand, shop, stocked
from tests.orders.returns_helpers import counter_sale
from tests.orders.till_helpers import open_counter_till

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


class Worker(threading.Thread):
    """``job`` on its own thread and database connection; ``outcome`` is what it
    returned or raised."""

    def __init__(self, job):
        super().__init__()
        self.job, self.outcome = job, None

    def run(self):
        try:
            self.outcome = self.job()
        except Exception as exc:  # a deadlock must fail the test, not the thread
            self.outcome = exc
        finally:
            connection.close()


class RowHeld(Worker):
    """Another connection holding one row ``FOR UPDATE`` while the block runs."""

    def __init__(self, table: str, pk: int):
        self.held, self.released = threading.Event(), threading.Event()
        super().__init__(lambda: self._hold(table, pk))

    def _hold(self, table, pk):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SELECT id FROM {table} WHERE id = %s FOR UPDATE", [pk])
            self.held.set()
            self.released.wait(timeout=60)

    def __enter__(self):
        self.start()
        assert self.held.wait(timeout=30)
        return self

    def __exit__(self, *exc):
        self.released.set()
        self.join(timeout=30)


def wait_until_waiting(count: int) -> None:
    """Until ``count`` connections of this database wait for a lock."""
    deadline = time.monotonic() + 30
    while True:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0] >= count:
                return
        assert time.monotonic() < deadline, f"fewer than {count} waited for a lock"
        time.sleep(0.02)


def stalled(table: str, pk: int, first, second) -> list:
    """What ``first`` and ``second`` returned, each run on its own thread and
    connection while another holds the row ``pk`` of ``table`` that ``first`` needs:
    ``first`` is left waiting for it, then ``second`` is started and left waiting,
    then the row is let go. A deadlock between them fails the test."""
    with RowHeld(table, pk):
        workers = [Worker(first), Worker(second)]
        for started, worker in enumerate(workers, start=1):
            worker.start()
            wait_until_waiting(started)
    for worker in workers:
        worker.join(timeout=60)
    assert not any(worker.is_alive() for worker in workers), "a worker hung"
    failed = [w.outcome for w in workers if isinstance(w.outcome, Exception)]
    assert not failed, failed
    return [worker.outcome for worker in workers]


def level_id(variant, location) -> int:
    return StockLevel.objects.get(variant=variant, location=location).pk


def back(order, reason="changed_mind") -> list[ReturnLineRequest]:
    """Every line of ``order`` brought back, one unit each."""
    return [
        ReturnLineRequest(line.pk, 1, reason) for line in order.lines.order_by("id")
    ]


@pytest.fixture
def store():
    return shop(code="MI-DUOMO", name="Milano Duomo")


@pytest.fixture
def manager(store):
    return StaffFactory(store=store, first_name="Marco", last_name="Rossi")


@pytest.fixture
def associate(store):
    return StaffFactory(store=store, first_name="Giulia", last_name="Bianchi")


@pytest.fixture
def customer():
    return make_customer(phone="+393331234567")


def cash_sale(store, associate, till, item, **kwargs):
    """A job: ``item`` sold at the counter for cash, booked on ``till``."""
    return lambda: counter_sale(
        store=store,
        lines=[(item, 1)],
        staff=associate,
        tenders=[(PaymentMethod.CASH, None)],
        till=TillBooking(till),
        **kwargs,
    )


def sales_on(till) -> list[str]:
    return sorted(
        TillMovement.objects.filter(
            session=till, kind=TillMovementKind.SALE
        ).values_list("order__number", flat=True)
    )


def test_an_exchange_paid_in_cash_and_a_sale_of_its_replacement_on_one_till(
    store, manager, associate, customer
):
    """The sale came first to the replacement's stock row (held meanwhile, by a count
    of the shelf say); the exchange, paid in cash, then to the till."""
    small = stocked(store, 5, price="40.00")
    large = stocked(store, 5, price="45.00")
    bought = counter_sale(
        store=store, lines=[(small, 1)], staff=associate, customer=customer
    )
    till = open_counter_till(associate)

    sold, swapped = stalled(
        "inventory_stocklevel",
        level_id(large, store),
        cash_sale(store, associate, till, large),
        lambda: exchange_items(
            order=bought.number,
            lines=back(bought, "too_small"),
            replacement=[LineRequest(large, 1)],
            location=store,
            actor=manager,
            payments=[PaymentRequest(PaymentMethod.CASH)],
            till=till,
        ),
    )

    assert swapped.paid == Decimal("5.00")
    assert (on_hand(small, store), on_hand(large, store)) == (5, 3)
    assert sales_on(till) == sorted([sold.number, swapped.order.number])


def test_an_exchange_paid_with_its_credit_and_a_sale_of_an_item_returned(
    store, manager, associate, customer
):
    """The exchange took its first returned item's stock row back and waits for the
    second's; the sale of the first comes to the same till meanwhile."""
    small = stocked(store, 5, price="40.00")
    belt = stocked(store, 5, price="20.00")
    coat = stocked(store, 5, price="60.00")
    bought = counter_sale(
        store=store, lines=[(small, 1), (belt, 1)], staff=associate, customer=customer
    )
    till = open_counter_till(associate)

    swapped, sold = stalled(
        "inventory_stocklevel",
        level_id(belt, store),
        lambda: exchange_items(
            order=bought.number,
            lines=back(bought),
            replacement=[LineRequest(coat, 1)],
            location=store,
            actor=manager,
            till=till,
        ),
        cash_sale(store, associate, till, small),
    )

    assert (swapped.credit_used, swapped.paid) == (Decimal("60.00"), 0)
    assert [on_hand(item, store) for item in (small, belt, coat)] == [4, 5, 4]
    assert sales_on(till) == sorted([sold.number, swapped.order.number])


def test_a_return_refunded_at_the_counter_and_a_sale_of_an_item_returned(
    store, manager, associate, customer
):
    small = stocked(store, 5, price="40.00")
    belt = stocked(store, 5, price="20.00")
    bought = counter_sale(
        store=store, lines=[(small, 1), (belt, 1)], staff=associate, customer=customer
    )
    till = open_counter_till(associate)

    returned, sold = stalled(
        "inventory_stocklevel",
        level_id(belt, store),
        lambda: return_at_counter(
            order=bought.number, lines=back(bought), location=store, actor=manager
        ),
        cash_sale(store, associate, till, small),
    )

    assert returned.refund_total == Decimal("60.00")
    assert (on_hand(small, store), on_hand(belt, store)) == (4, 5)
    assert sales_on(till) == [sold.number]
    assert TillMovement.objects.filter(
        session=till, kind=TillMovementKind.REFUND, order=bought
    ).exists()


def test_a_return_received_and_refunded_at_once_and_a_sale_of_an_item_returned(
    store, manager, associate, customer
):
    small = stocked(store, 5, price="40.00")
    belt = stocked(store, 5, price="20.00")
    bought = counter_sale(
        store=store, lines=[(small, 1), (belt, 1)], staff=associate, customer=customer
    )
    asked = request_return(
        order=bought.number, lines=back(bought), channel=Channel.WEB, customer=customer
    )
    till = open_counter_till(associate)

    returned, sold = stalled(
        "inventory_stocklevel",
        level_id(belt, store),
        lambda: receive_and_refund_return(
            return_request=asked.code, location=store, actor=manager
        ),
        cash_sale(store, associate, till, small),
    )

    assert returned.refund_total == Decimal("60.00")
    assert (on_hand(small, store), on_hand(belt, store)) == (4, 5)
    assert sales_on(till) == [sold.number]
    assert TillMovement.objects.filter(
        session=till, kind=TillMovementKind.REFUND, order=bought
    ).exists()


def test_a_refund_at_the_desk_and_a_sale_to_the_same_customer_on_one_till(
    store, manager, associate, customer
):
    """The refund, as store credit, waits for the customer's row (a merge of the
    profile, say); the sale to the same customer comes to the till meanwhile."""
    small = stocked(store, 5, price="40.00")
    bought = counter_sale(
        store=store, lines=[(small, 1)], staff=associate, customer=customer
    )
    received = return_at_counter(
        order=bought.number,
        lines=back(bought),
        location=store,
        actor=manager,
        refund_now=False,
    )
    till = open_counter_till(associate)

    refunded, sold = stalled(
        "customers_customer",
        customer.pk,
        lambda: refund_return(
            return_request=received.code,
            actor=manager,
            method="store_credit",
            location=store,
        ),
        cash_sale(store, associate, till, small, customer=customer),
    )

    assert refunded.refund_total == Decimal("40.00")
    assert sold.customer_id == customer.pk
    assert sales_on(till) == [sold.number]
    customer.refresh_from_db()
    assert customer.store_credit_balance == Decimal("40.00")


def test_an_order_cancelled_at_the_counter_and_a_sale_of_its_item_on_one_till(
    store, manager, associate
):
    """The cancellation released the order's held units and waits for its parts'
    rows; a sale of the same item comes to the till that pays the cash back."""
    small = stocked(store, 5, price="40.00")
    till = open_counter_till(associate)
    held = place_order(  # picked up here later: its unit held on the shelf
        lines=[LineRequest(small, 1)],
        channel=Channel.STORE,
        fulfilment="pickup",
        pickup_store=store,
        placing_location=store,
        staff=associate,
        email="ada@example.com",
        payments=[PaymentRequest(PaymentMethod.CASH)],
        till=TillBooking(till),
    )
    part = held.fulfilments.get()

    cancelled, sold = stalled(
        "orders_fulfilment",
        part.pk,
        lambda: cancel_order(
            order=held.pk, actor=manager, reason="Changed her mind", location=store
        ),
        cash_sale(store, associate, till, small),
    )

    assert cancelled.status == OrderStatus.CANCELLED
    assert on_hand(small, store) == 4
    assert sales_on(till) == sorted([held.number, sold.number])
    assert TillMovement.objects.filter(
        session=till, kind=TillMovementKind.REFUND, order=held
    ).exists()
