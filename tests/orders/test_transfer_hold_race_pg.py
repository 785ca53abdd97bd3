"""A transfer received at the pickup shop while its order is cancelled, at the same
moment on PostgreSQL: whichever comes first, nothing stays held for the cancelled
order and neither side fails (the receipt locks the order before any stock row, as
the cancellation does)."""

import pytest

from inventory.models import Reservation, ReservationStatus, StockLevel
from inventory.selectors import ledger_discrepancies
from inventory.services.transfers import receive_transfer, ship_transfer
from orders.models import OrderStatus
from orders.services.fulfilment import cancel_order
from tests.concurrency import run_parallel
from tests.factories import VariantFactory, stock
from tests.orders.factories import pickup_order, shop, warehouse

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("round_", range(4))
def test_a_receipt_racing_the_cancellation_leaves_nothing_held(round_):
    store = shop(code=f"MI{round_:02d}")
    depot = warehouse(code=f"WH{round_:02d}")
    coat = VariantFactory(sku=f"COAT-{round_}")
    stock(coat, store, 1)  # one on the pickup shop's shelf, held at checkout
    stock(coat, depot, 2)
    order = pickup_order(store=store, lines=[(coat, 3)])
    transfer = order.fulfilments.get(transfer__isnull=False).transfer
    ship_transfer(transfer=transfer)

    results = run_parallel(
        [
            lambda: receive_transfer(transfer=transfer.pk),
            lambda: cancel_order(order=order.pk, reason="Changed mind"),
        ]
    )

    assert not [r for r in results if isinstance(r, Exception)], results
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    level = StockLevel.objects.get(variant=coat, location=store)
    assert (level.on_hand, level.reserved) == (3, 0)
    assert not Reservation.objects.filter(
        reference_id=order.number, status=ReservationStatus.ACTIVE
    ).exists()
    assert ledger_discrepancies() == []
