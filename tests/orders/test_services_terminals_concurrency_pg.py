"""Real threads, real connections: a terminal result delivered twice at once."""

import pytest

from inventory.models import StockLevel
from inventory.selectors import ledger_discrepancies
from orders.models import Order, Payment, TerminalIntentStatus
from orders.services.terminals import (
    SOURCE_POLL,
    SOURCE_WEBHOOK,
    settle_terminal_intent,
    start_terminal_payment,
)
from tests.concurrency import run_parallel
from tests.orders.factories import shop, stocked
from tests.orders.terminal_helpers import basket, card_sale, reader

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_the_same_approval_delivered_twice_at_once_places_one_sale():
    store = shop(code="MI01")
    item = stocked(store, 5, price="40.00")
    intent = start_terminal_payment(
        device=reader(store), cart=basket([(item, 2)]), sale=card_sale([(item, 2)])
    )

    def deliver(source):
        return lambda: settle_terminal_intent(
            intent=type(intent).objects.get(pk=intent.pk),
            status=TerminalIntentStatus.SUCCEEDED,
            source=source,
        )

    results = run_parallel([deliver(SOURCE_WEBHOOK), deliver(SOURCE_POLL)] * 2)

    assert not [r for r in results if isinstance(r, Exception)], results
    intent.refresh_from_db()
    assert intent.status == TerminalIntentStatus.COMPLETED
    assert Order.objects.count() == 1
    assert Payment.objects.get().provider_reference == intent.provider_reference
    assert list(intent.events.values_list("to_status", flat=True)) == [
        TerminalIntentStatus.PENDING,
        TerminalIntentStatus.SUCCEEDED,
        TerminalIntentStatus.COMPLETED,
    ]
    level = StockLevel.objects.get(variant=item, location=store)
    assert (level.on_hand, level.reserved) == (3, 0)
    assert ledger_discrepancies() == []
