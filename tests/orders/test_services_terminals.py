"""Card-present payments: a counter sale waits for the terminal and is placed only
when the card paid; a decline, a cancel or a time-out sells and holds nothing; a result
delivered twice places one sale."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from customers.services.erasure import erase_customer
from customers.services.matching import match_customer
from inventory.models import StockLevel
from omnistore.core.exceptions import Conflict, InsufficientStock, ValidationFailed
from orders.models import (
    CartStatus,
    Order,
    Payment,
    PaymentMethod,
    TerminalIntent,
    TerminalIntentStatus,
    TillMovement,
    TillMovementKind,
)
from orders.services.carts import add_cart_lines
from orders.services.terminals import (
    SOURCE_COUNTER,
    SOURCE_POLL,
    SOURCE_SIMULATOR,
    SOURCE_WEBHOOK,
    cancel_terminal_intent,
    refresh_terminal_intent,
    settle_terminal_intent,
    start_terminal_payment,
)
from orders.services.till import close_till
from tests.factories import StaffFactory
from tests.orders.factories import shop, stocked
from tests.orders.terminal_helpers import basket, card_sale, reader, simulator
from tests.orders.till_helpers import open_counter_till

pytestmark = pytest.mark.django_db

S = TerminalIntentStatus


@pytest.fixture
def counter():
    store = shop(code="MI01")
    item = stocked(store, 5, price="40.00")
    return {
        "store": store,
        "item": item,
        "device": reader(store),
        "staff": StaffFactory(store=store),
        "cart": basket([(item, 2)]),
    }


def start(counter, **kwargs):
    return start_terminal_payment(
        device=counter["device"],
        cart=counter["cart"],
        sale=kwargs.pop("sale", None) or card_sale([(counter["item"], 2)]),
        staff=counter["staff"],
        **kwargs,
    )


def level(counter):
    row = StockLevel.objects.get(variant=counter["item"], location=counter["store"])
    return row.on_hand, row.reserved


def history(intent):
    return [(e.from_status, e.to_status, e.source) for e in intent.events.all()]


def test_starting_asks_the_reader_for_the_amount_and_sells_nothing_yet(counter):
    intent = start(counter)

    assert intent.status == S.PENDING
    assert (intent.amount, intent.currency) == (Decimal("80.00"), "EUR")
    request = simulator().started[intent.provider_reference]
    assert request.amount == Decimal("80.00")
    assert request.cart_reference == counter["cart"].token
    assert request.device_id == counter["device"].device_id
    assert Order.objects.count() == 0
    assert level(counter) == (5, 0)
    assert history(intent) == [("", S.PENDING, SOURCE_COUNTER)]
    assert intent.events.get().actor == counter["staff"]


def test_the_same_basket_submitted_twice_waits_on_one_intent(counter):
    first = start(counter)
    again = start(counter)
    assert again.pk == first.pk
    assert TerminalIntent.objects.count() == 1


def test_a_paid_card_polled_places_the_sale_against_the_intent(counter):
    intent = start(counter)
    simulator().decide(intent.provider_reference, S.SUCCEEDED, "Approved")

    intent = refresh_terminal_intent(intent=intent)

    assert intent.status == S.COMPLETED
    order = intent.order
    assert order.total == Decimal("80.00")
    payment = order.payments.get()
    assert payment.method == PaymentMethod.CARD_IN_STORE
    assert payment.provider_reference == intent.provider_reference
    assert payment.provider == "test"
    assert level(counter) == (3, 0)
    counter["cart"].refresh_from_db()
    assert counter["cart"].status == CartStatus.CONVERTED
    assert history(intent) == [
        ("", S.PENDING, SOURCE_COUNTER),
        (S.PENDING, S.SUCCEEDED, SOURCE_POLL),
        (S.SUCCEEDED, S.COMPLETED, SOURCE_POLL),
    ]


def test_the_same_result_delivered_twice_completes_once(counter):
    intent = start(counter)
    for source in (SOURCE_WEBHOOK, SOURCE_WEBHOOK, SOURCE_POLL):
        settle_terminal_intent(intent=intent, status=S.SUCCEEDED, source=source)
    simulator().decide(intent.provider_reference, S.SUCCEEDED)
    refresh_terminal_intent(intent=intent)

    assert Order.objects.count() == 1
    assert Payment.objects.count() == 1
    assert level(counter) == (3, 0)
    assert [to for _, to, _ in history(intent)] == [S.PENDING, S.SUCCEEDED, S.COMPLETED]


def test_a_late_different_result_changes_nothing(counter):
    intent = start(counter)
    settle_terminal_intent(intent=intent, status=S.SUCCEEDED, source=SOURCE_WEBHOOK)
    settle_terminal_intent(intent=intent, status=S.DECLINED, source=SOURCE_WEBHOOK)
    intent.refresh_from_db()
    assert intent.status == S.COMPLETED
    assert Order.objects.count() == 1


@pytest.mark.parametrize("result", [S.DECLINED, S.TIMED_OUT])
def test_a_declined_card_sells_and_holds_nothing(counter, result):
    intent = start(counter)
    intent = settle_terminal_intent(
        intent=intent, status=result, message="Do not honour", source=SOURCE_SIMULATOR
    )

    assert intent.status == result
    assert intent.message == "Do not honour"
    assert Order.objects.count() == 0
    assert level(counter) == (5, 0)
    counter["cart"].refresh_from_db()
    assert counter["cart"].status == CartStatus.OPEN


def test_after_a_decline_the_basket_can_be_paid_again(counter):
    first = start(counter)
    settle_terminal_intent(intent=first, status=S.DECLINED, source=SOURCE_WEBHOOK)
    second = start(counter)
    assert second.pk != first.pk
    settle_terminal_intent(intent=second, status=S.SUCCEEDED, source=SOURCE_WEBHOOK)
    second.refresh_from_db()
    assert second.status == S.COMPLETED
    assert Order.objects.count() == 1


def test_cancelling_stops_the_reader_and_sells_nothing(counter):
    intent = start(counter)
    intent = cancel_terminal_intent(intent=intent, actor=counter["staff"])

    assert intent.status == S.CANCELLED
    assert intent.provider_reference in simulator().cancelled
    assert Order.objects.count() == 0
    assert level(counter) == (5, 0)
    event = intent.events.last()
    assert (event.to_status, event.source, event.actor) == (
        S.CANCELLED,
        SOURCE_COUNTER,
        counter["staff"],
    )


def test_a_cancel_after_the_card_paid_completes_the_sale(counter):
    intent = start(counter)
    simulator().decide(intent.provider_reference, S.SUCCEEDED)
    intent = cancel_terminal_intent(intent=intent, actor=counter["staff"])
    assert intent.status == S.COMPLETED
    assert Order.objects.count() == 1


def test_a_reader_left_waiting_times_out(counter):
    intent = start(counter)
    later = intent.expires_at + timedelta(seconds=1)
    intent = refresh_terminal_intent(intent=intent, now=later)
    assert intent.status == S.TIMED_OUT
    assert Order.objects.count() == 0


def test_a_busy_reader_refuses_another_basket_until_its_payment_ends(counter):
    start(counter)
    other = basket([(counter["item"], 1)])
    with pytest.raises(Conflict):
        start_terminal_payment(
            device=counter["device"],
            cart=other,
            sale=card_sale([(counter["item"], 1)]),
        )
    later = timezone.now() + timedelta(seconds=300)
    intent = start_terminal_payment(
        device=counter["device"],
        cart=other,
        sale=card_sale([(counter["item"], 1)]),
        now=later,
    )
    assert intent.status == S.PENDING
    assert TerminalIntent.objects.filter(status=S.TIMED_OUT).count() == 1


def test_a_sale_that_would_be_refused_never_reaches_the_reader(counter):
    cart = basket([(counter["item"], 9)])
    with pytest.raises(InsufficientStock):
        start_terminal_payment(
            device=counter["device"],
            cart=cart,
            sale=card_sale([(counter["item"], 9)]),
        )
    assert TerminalIntent.objects.count() == 0


def test_a_basket_changed_after_the_counter_read_it_is_not_sent(counter):
    other = stocked(counter["store"], 5, price="15.00")
    sale = card_sale([(counter["item"], 2)])  # what the counter showed
    add_cart_lines(cart=counter["cart"], lines=[(other.pk, 1)])  # a colleague's scan

    with pytest.raises(Conflict) as refused:
        start(counter, sale=sale)

    assert refused.value.code == "basket_changed"
    assert TerminalIntent.objects.count() == 0
    sent = [r.cart_reference for r in simulator().started.values()]
    assert counter["cart"].token not in sent
    again = start(counter, sale=card_sale([(counter["item"], 2), (other, 1)]))
    assert again.amount == Decimal("95.00")


def test_a_counter_price_set_after_the_counter_read_the_basket_is_not_sent(counter):
    line = counter["cart"].lines.get()
    line.counter_price = Decimal("30.00")
    line.save(update_fields=["counter_price"])

    with pytest.raises(Conflict) as refused:
        start(counter)  # sent at the list price

    assert refused.value.code == "basket_changed"
    assert TerminalIntent.objects.count() == 0


def test_the_terminal_takes_one_card_per_sale(counter):
    sale = card_sale(
        [(counter["item"], 2)],
        tenders=[(PaymentMethod.CASH, Decimal("80.00"))],
    )
    with pytest.raises(ValidationFailed):
        start(counter, sale=sale)
    assert TerminalIntent.objects.count() == 0


def test_a_split_sends_the_card_share_and_records_the_rest(counter):
    sale = card_sale(
        [(counter["item"], 2)],
        tenders=[
            (PaymentMethod.CASH, Decimal("30.00")),
            (PaymentMethod.CARD_IN_STORE, Decimal("50.00")),
        ],
    )
    intent = start(counter, sale=sale)
    assert intent.amount == Decimal("50.00")
    settle_terminal_intent(intent=intent, status=S.SUCCEEDED, source=SOURCE_WEBHOOK)
    intent.refresh_from_db()
    payments = {p.method: p for p in intent.order.payments.all()}
    assert payments[PaymentMethod.CASH].amount == Decimal("30.00")
    card = payments[PaymentMethod.CARD_IN_STORE]
    assert (card.amount, card.provider_reference) == (
        Decimal("50.00"),
        intent.provider_reference,
    )


def test_a_sale_refused_after_the_card_paid_gives_the_money_back(counter):
    intent = start(counter)
    # The last units go to another sale while the customer types the PIN.
    StockLevel.objects.filter(variant=counter["item"]).update(on_hand=1)
    intent = settle_terminal_intent(
        intent=intent, status=S.SUCCEEDED, source=SOURCE_WEBHOOK
    )

    assert intent.status == S.REVERSED
    assert "refused" in intent.message
    assert simulator().reversed[f"{intent.reference}:reverse"] == Decimal("80.00")
    assert Order.objects.count() == 0


def test_an_unknown_result_is_refused(counter):
    intent = start(counter)
    with pytest.raises(ValidationFailed):
        settle_terminal_intent(intent=intent, status="maybe", source=SOURCE_WEBHOOK)


def test_erasing_the_buyer_removes_them_from_card_payments_that_never_paid(counter):
    buyer = match_customer(phone="+393331234567", channel="store")
    sale = card_sale([(counter["item"], 2)], customer={"phone": "+393331234567"})
    intent = start(counter, sale=sale)
    settle_terminal_intent(intent=intent, status=S.DECLINED, source=SOURCE_WEBHOOK)

    erase_customer(customer=buyer)

    intent.refresh_from_db()
    assert intent.sale == {}
    assert intent.status == S.DECLINED


def test_a_split_with_cash_is_booked_on_the_till_with_the_sale(counter):
    """The paid card places the sale and books its cash part and change on the
    counter's till in the same transaction."""
    till = open_counter_till(counter["staff"])
    sale = card_sale(
        [(counter["item"], 2)],
        tenders=[
            (PaymentMethod.CASH, Decimal("30.00")),
            (PaymentMethod.CARD_IN_STORE, Decimal("50.00")),
        ],
        till_session_id=till.pk,
        tendered=Decimal("50.00"),
    )
    intent = start(counter, sale=sale)
    settle_terminal_intent(intent=intent, status=S.SUCCEEDED, source=SOURCE_WEBHOOK)
    intent.refresh_from_db()
    booked = TillMovement.objects.get(kind=TillMovementKind.SALE)
    assert (booked.session, booked.order, booked.amount, booked.change) == (
        till,
        intent.order,
        Decimal("30.00"),
        Decimal("20.00"),
    )


@pytest.mark.parametrize(
    "tenders",
    [
        [(PaymentMethod.CARD_IN_STORE, Decimal("80.00"))],
        [
            (PaymentMethod.CASH, Decimal("30.00")),
            (PaymentMethod.CARD_IN_STORE, Decimal("50.00")),
        ],
    ],
    ids=["card", "split"],
)
def test_a_till_closed_while_the_card_was_out_gives_the_card_back(counter, tenders):
    """The payment ran past its time and the till was closed: a card paying it
    afterwards, alone or beside cash, has no open till to be booked on. The sale is
    refused after the card paid, so the card payment is reversed and nothing is
    sold: no sale lands on no Z report."""
    till = open_counter_till(counter["staff"])
    sale = card_sale([(counter["item"], 2)], tenders=tenders, till_session_id=till.pk)
    intent = start(counter, sale=sale)
    later = intent.expires_at + timedelta(seconds=1)
    close_till(
        session=till, counts={Decimal("50"): 2}, actor=counter["staff"], now=later
    )

    intent = settle_terminal_intent(
        intent=intent, status=S.SUCCEEDED, source=SOURCE_WEBHOOK, now=later
    )

    assert intent.status == S.REVERSED
    assert "till is not open" in intent.message
    card = tenders[-1][1]
    assert simulator().reversed[f"{intent.reference}:reverse"] == card
    assert Order.objects.count() == 0 and level(counter) == (5, 0)
    assert not TillMovement.objects.filter(kind=TillMovementKind.SALE).exists()


def test_a_till_is_not_closed_while_a_card_waits_for_it(counter):
    """A card out on the reader for the till's session refuses its close, naming
    the payment: once the card paid, the sale is on the till and it closes."""
    till = open_counter_till(counter["staff"])
    sale = card_sale([(counter["item"], 2)], till_session_id=till.pk)
    intent = start(counter, sale=sale)

    with pytest.raises(Conflict) as refused:
        close_till(session=till, counts={Decimal("50"): 2}, actor=counter["staff"])

    assert refused.value.code == "card_payment_waiting"
    assert refused.value.extra == {"terminal_payment": intent.reference}
    assert f"A card payment of 80.00 EUR ({intent.reference}" in refused.value.message
    intent = settle_terminal_intent(
        intent=intent, status=S.SUCCEEDED, source=SOURCE_WEBHOOK
    )
    booked = TillMovement.objects.get(kind=TillMovementKind.SALE)
    assert (booked.session, booked.order) == (till, intent.order)
    closed = close_till(session=till, counts={Decimal("50"): 2}, actor=counter["staff"])
    assert closed.over_short == Decimal("0.00")


def test_a_card_is_not_asked_for_a_till_already_closed(counter):
    """The payment is sent to the reader under the till's lock: a till closed before
    it is refused there, and the card never asked for."""
    till = open_counter_till(counter["staff"])
    close_till(session=till, counts={Decimal("50"): 2}, actor=counter["staff"])
    sale = card_sale([(counter["item"], 2)], till_session_id=till.pk)

    with pytest.raises(ValidationFailed) as refused:
        start(counter, sale=sale)

    assert refused.value.code == "till_not_open"
    assert not TerminalIntent.objects.exists()
