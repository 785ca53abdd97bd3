"""A lock taken to change a row holds that row only, on PostgreSQL: a transfer being
shipped, received, cancelled or closed short does not hold up a sale at either of its
shops, and a price being set on a basket line does not hold up a purchase of the
item. Each is held open in its own transaction while the other commits: the other
must not wait for it (its rows point at the shop, or at the item)."""

import threading

import pytest
from django.db import connection, transaction

from inventory.services.transfers import (
    cancel_transfer,
    close_transfer_short,
    receive_transfer,
    request_transfer,
    ship_transfer,
)
from omnistore.accounts.models import Role
from omnistore.core.channels import Channel
from orders.models import PaymentMethod, TillMovement, TillMovementKind
from orders.services.carts import add_cart_lines, create_cart
from orders.services.counter_prices import set_counter_price
from orders.services.till import TillBooking
from tests.factories import StaffFactory
from tests.orders.factories import on_hand, pickup_order, shop, stocked
from tests.orders.returns_helpers import counter_sale
from tests.orders.till_helpers import open_counter_till

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

# How long the held transaction waits for the other one to commit: far longer than
# a sale takes, so only a lock wait makes it run out.
HOLD_SECONDS = 8


def while_held(change, other):
    """Run ``change`` in a transaction kept open until ``other``, run meanwhile on
    its own thread and connection, has committed (or ``HOLD_SECONDS`` passed).
    Returns whether ``other`` committed while ``change`` still held its locks, and
    what ``other`` returned (or raised)."""
    changed, done = threading.Event(), threading.Event()
    outcome = {}

    def hold():
        try:
            with transaction.atomic():
                change()
                changed.set()
                outcome["in_time"] = done.wait(timeout=HOLD_SECONDS)
        except Exception as exc:  # asserted below
            outcome["change"] = exc
        finally:
            changed.set()
            connection.close()

    def run_other():
        try:
            changed.wait(timeout=30)
            outcome["other"] = other()
        except Exception as exc:  # asserted below
            outcome["other"] = exc
        finally:
            done.set()
            connection.close()

    threads = [threading.Thread(target=hold), threading.Thread(target=run_other)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a worker hung"
    assert "change" not in outcome, outcome["change"]
    return outcome.get("in_time"), outcome["other"]


@pytest.fixture
def shops():
    duomo = shop(code="MI-DUOMO", name="Milano Duomo")
    nuova = shop(code="MI-PNUOVA", name="Milano Porta Nuova")
    return duomo, nuova


def _ship(transfer, manager):
    ship_transfer(transfer=transfer, actor=manager)


def _cancel(transfer, manager):
    cancel_transfer(transfer=transfer, actor=manager)


def _receive(transfer, manager):
    receive_transfer(transfer=transfer, actor=manager)


def _close_short(transfer, manager):
    close_transfer_short(transfer=transfer, actor=manager, reason="Lost in transit")


@pytest.mark.parametrize(
    ("do", "shipped_first", "selling"),
    [
        pytest.param(_ship, False, 0, id="shipped, a sale at the source"),
        pytest.param(_cancel, False, 0, id="cancelled, a sale at the source"),
        pytest.param(_receive, True, 1, id="received, a sale at the destination"),
        pytest.param(_close_short, True, 0, id="closed short, a sale at the source"),
    ],
)
def test_a_counter_sale_commits_while_a_transfer_of_its_shop_is_being_changed(
    shops, do, shipped_first, selling
):
    store = shops[selling]
    manager = StaffFactory(store=shops[0], role=Role.STORE_MANAGER)
    associate = StaffFactory(store=store)
    sent = stocked(shops[0], 5, price="30.00")
    sold = stocked(store, 5, price="20.00")
    transfer = request_transfer(
        source=shops[0], destination=shops[1], lines=[(sent, 2)], actor=manager
    )
    if shipped_first:
        _ship(transfer, manager)
    till = open_counter_till(associate)

    in_time, order = while_held(
        lambda: do(transfer, manager),
        lambda: counter_sale(
            store=store,
            lines=[(sold, 1)],
            staff=associate,
            tenders=[(PaymentMethod.CASH, None)],
            till=TillBooking(till),
        ),
    )

    assert not isinstance(order, Exception), order
    assert in_time, "the sale waited for the transfer's lock on its shop"
    assert on_hand(sold, store) == 4
    assert TillMovement.objects.filter(
        session=till, kind=TillMovementKind.SALE, order=order
    ).exists()


def test_a_purchase_of_an_item_commits_while_its_price_is_being_set_at_a_counter(
    shops,
):
    store = shops[0]
    associate = StaffFactory(store=store)
    shirt = stocked(store, 5, price="59.90")
    basket = create_cart(channel=Channel.STORE)
    line = add_cart_lines(cart=basket, lines=[(shirt.pk, 1)])[0]

    in_time, order = while_held(
        lambda: set_counter_price(
            cart=basket,
            line_id=line.pk,
            price=None,
            reason="",
            actor=associate,
            location=store,
        ),
        lambda: pickup_order(store=store, lines=[(shirt, 1)]),
    )

    assert not isinstance(order, Exception), order
    assert in_time, "the purchase waited for the basket line's lock on its item"
    assert order.lines.get().variant == shirt
