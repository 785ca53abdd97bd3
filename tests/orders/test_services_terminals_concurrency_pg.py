"""Real threads, real connections: a terminal result delivered twice at once."""

import pytest

from inventory.models import StockLevel
from inventory.selectors import ledger_discrepancies
from orders.models import Order, Payment, TerminalIntent, TerminalIntentStatus
from orders.services.carts import add_cart_lines
from orders.services.terminals import (
    SOURCE_POLL,
    SOURCE_WEBHOOK,
    cancel_terminal_intent,
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


def test_a_scan_and_the_card_payment_at_the_same_instant_never_lose_a_line():
    store = shop(code="MI01")
    item, other = stocked(store, 5, price="40.00"), stocked(store, 5, price="15.00")
    device = reader(store)
    for _ in range(5):
        cart = basket([(item, 2)])
        results = run_parallel(_scan_and_pay(device, cart, item, other))

        codes = sorted(getattr(r, "code", "ok") for r in results)
        # One of them wins; the other is refused with its reason, never both done.
        assert codes in (["basket_changed", "ok"], ["cart_waiting_for_card", "ok"])
        lines = dict(cart.lines.values_list("variant_id", "quantity"))
        intent = TerminalIntent.objects.filter(cart=cart).first()
        if intent is None:
            assert lines == {item.pk: 2, other.pk: 1}
        else:
            assert lines == {item.pk: 2}
            assert intent.amount == 80
            cancel_terminal_intent(intent=intent)


def _scan_and_pay(device, cart, item, other):
    return [
        lambda: add_cart_lines(cart=cart, lines=[(other.pk, 1)]),
        lambda: start_terminal_payment(
            device=device, cart=cart, sale=card_sale([(item, 2)])
        ),
    ]
