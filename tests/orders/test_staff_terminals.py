"""The counter paying by card at the shop's terminal: the sale waits for the card,
completes when it pays, and returns to the basket untouched when it does not."""

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from inventory.models import StockLevel
from orders.models import (
    Cart,
    CartStatus,
    Order,
    PaymentMethod,
    Register,
    TerminalIntent,
    TerminalIntentStatus,
    TillMovement,
    TillSessionStatus,
)
from tests.factories import LocationFactory, StaffFactory, VariantFactory, stock
from tests.orders.terminal_helpers import reader, simulator
from tests.orders.till_helpers import open_counter_till

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
S = TerminalIntentStatus


@pytest.fixture
def shop():
    return LocationFactory(code="MI01", name="Milano Centro")


@pytest.fixture
def till(shop):
    """The counter's till, open: every sale at the counter is booked on it."""
    return open_counter_till(StaffFactory(store=shop))


@pytest.fixture
def staff(client, shop, till):
    client.force_login(StaffFactory(store=shop))
    return client


@pytest.fixture
def shirt(shop):
    item = VariantFactory(sku="SHIRT-BLU-M", barcode="8000000000017", price="40.00")
    stock(item, shop, 5)
    return item


@pytest.fixture
def device(shop):
    return reader(shop, label="Till 1")


def pay_by_card(client, **data):
    client.post(reverse("staff:sale_add"), {"code": "SHIRT-BLU-M"}, **HTMX)
    payload = {"mode": "carry_out", "method_1": PaymentMethod.CARD_IN_STORE, **data}
    return client.post(reverse("staff:sale_checkout"), payload, **HTMX)


def client_for(shop) -> Client:
    """Another associate's counter session."""
    other = Client()
    other.force_login(StaffFactory(store=shop))
    return other


def waiting(client) -> TerminalIntent:
    return TerminalIntent.objects.get(status=S.PENDING)


def simulate(client, intent, outcome):
    url = reverse("staff:sale_terminal_simulate", args=[intent.reference])
    return client.post(url, {"outcome": outcome}, **HTMX)


def on_hand(shirt, shop):
    level = StockLevel.objects.get(variant=shirt, location=shop)
    return level.on_hand, level.reserved


def shown(client, url) -> str:
    return client.get(url).content.decode()


def close_till(client, **units):
    """Count the drawer (denomination: units) and close it, from ``client``'s device."""
    data = {f"count-d_{k}": v for k, v in units.items()}
    return client.post(reverse("staff:till_close"), data, **HTMX)


def test_choosing_card_waits_for_the_terminal_instead_of_selling(
    staff, shop, shirt, device
):
    response = pay_by_card(staff)

    intent = waiting(staff)
    assert response["HX-Redirect"] == reverse(
        "staff:sale_terminal", args=[intent.reference]
    )
    assert (intent.amount, intent.device) == (Decimal("40.00"), device)
    assert Order.objects.count() == 0
    assert on_hand(shirt, shop) == (5, 0)
    page = shown(staff, response["HX-Redirect"])
    assert "Waiting for the card" in page
    assert 'hx-trigger="every 1s"' in page
    assert "40.00 EUR" in page
    assert 'data-testid="simulate-approve"' in page
    # The sale screen follows the card while it is out.
    assert staff.get(reverse("staff:sale"))["Location"] == response["HX-Redirect"]


def test_the_poll_keeps_waiting_then_shows_the_receipt_when_the_card_paid(
    staff, shop, shirt, device
):
    pay_by_card(staff)
    intent = waiting(staff)
    url = reverse("staff:sale_terminal", args=[intent.reference])
    poll = staff.get(url, **HTMX)
    assert poll.status_code == 200
    assert 'data-testid="terminal-panel"' in poll.content.decode()

    simulator().decide(intent.provider_reference, S.SUCCEEDED)
    poll = staff.get(url, **HTMX)

    order = Order.objects.get()
    assert poll["HX-Redirect"] == reverse("staff:sale_receipt", args=[order.number])
    payment = order.payments.get()
    assert payment.method == PaymentMethod.CARD_IN_STORE
    assert payment.provider_reference == intent.provider_reference
    assert on_hand(shirt, shop) == (4, 0)
    assert "sale_cart_token" not in staff.session
    assert "Sale complete" in shown(staff, poll["HX-Redirect"])


def test_approving_on_the_simulated_reader_completes_the_sale(staff, shirt, device):
    pay_by_card(staff)
    intent = waiting(staff)
    response = simulate(staff, intent, "approve")
    order = Order.objects.get()
    assert response["HX-Redirect"] == reverse("staff:sale_receipt", args=[order.number])
    intent.refresh_from_db()
    assert (intent.status, intent.order) == (S.COMPLETED, order)
    event = intent.events.get(to_status=S.SUCCEEDED)
    assert event.source == "simulator"
    assert event.actor is not None


def test_the_same_result_twice_completes_once(staff, shirt, device):
    pay_by_card(staff)
    intent = waiting(staff)
    first = simulate(staff, intent, "approve")
    second = simulate(staff, intent, "approve")
    assert first["HX-Redirect"] == second["HX-Redirect"]
    assert Order.objects.count() == 1
    assert intent.events.filter(to_status=S.COMPLETED).count() == 1


def test_a_declined_card_returns_to_the_basket_with_nothing_sold(
    staff, shop, shirt, device
):
    pay_by_card(staff)
    intent = waiting(staff)
    response = simulate(staff, intent, "decline")

    assert response["HX-Redirect"] == reverse("staff:sale")
    page = shown(staff, reverse("staff:sale"))
    assert "The card was declined (Do not honour). Nothing was sold" in page
    assert "SHIRT-BLU-M" in page  # the basket is still there
    assert Order.objects.count() == 0
    assert on_hand(shirt, shop) == (5, 0)
    assert Cart.objects.get().status == CartStatus.OPEN


def test_cancelling_at_the_counter_returns_to_the_basket(staff, shop, shirt, device):
    pay_by_card(staff)
    intent = waiting(staff)
    url = reverse("staff:sale_terminal_cancel", args=[intent.reference])
    response = staff.post(url, **HTMX)

    assert response["HX-Redirect"] == reverse("staff:sale")
    assert "The card payment was cancelled" in shown(staff, reverse("staff:sale"))
    intent.refresh_from_db()
    assert intent.status == S.CANCELLED
    assert Order.objects.count() == 0
    assert on_hand(shirt, shop) == (5, 0)


def test_after_a_decline_the_associate_can_take_cash(staff, shop, shirt, device):
    pay_by_card(staff)
    simulate(staff, waiting(staff), "decline")
    response = staff.post(
        reverse("staff:sale_checkout"),
        {"mode": "carry_out", "method_1": PaymentMethod.CASH},
        **HTMX,
    )
    order = Order.objects.get()
    assert response["HX-Redirect"] == reverse("staff:sale_receipt", args=[order.number])
    assert order.payments.get().method == PaymentMethod.CASH


def test_cash_at_a_counter_with_a_terminal_sells_at_once(staff, shop, shirt, device):
    pay_by_card(staff, method_1=PaymentMethod.CASH)
    assert Order.objects.count() == 1
    assert TerminalIntent.objects.count() == 0


def test_a_busy_terminal_is_a_form_error(staff, shop, shirt, device):
    pay_by_card(staff)
    other = client_for(shop)
    response = pay_by_card(other)
    assert response.status_code == 422
    assert "Till 1 is waiting for another payment" in response.content.decode()
    assert TerminalIntent.objects.count() == 1


def test_another_shops_card_payment_is_not_found(staff, shirt, device):
    pay_by_card(staff)
    intent = waiting(staff)
    elsewhere = LocationFactory(code="RM01")
    outsider = client_for(elsewhere)
    url = reverse("staff:sale_terminal", args=[intent.reference])
    assert outsider.get(url).status_code == 404
    assert simulate(outsider, intent, "approve").status_code == 404
    assert Order.objects.count() == 0


def test_an_unknown_simulated_outcome_is_not_found(staff, shirt, device):
    pay_by_card(staff)
    intent = waiting(staff)
    assert simulate(staff, intent, "explode").status_code == 404
    assert (
        staff.get(reverse("staff:sale_terminal", args=["TI-NOPE"])).status_code == 404
    )


def test_a_split_with_cash_waits_for_the_card_then_books_the_till(
    staff, shop, shirt, device, till
):
    response = pay_by_card(
        staff,
        method_1=PaymentMethod.CASH,
        amount_1="10.00",
        method_2=PaymentMethod.CARD_IN_STORE,
        amount_2="30.00",
        tendered="20",
    )
    intent = waiting(staff)
    assert "HX-Redirect" in response
    assert intent.amount == Decimal("30.00")
    assert not TillMovement.objects.filter(kind="sale").exists()

    simulate(staff, intent, "approve")

    order = Order.objects.get()
    booked = TillMovement.objects.get(kind="sale")
    assert (booked.session, booked.order) == (till, order)
    assert (booked.amount, booked.tendered, booked.change) == (
        Decimal("10.00"),
        Decimal("20.00"),
        Decimal("10.00"),
    )


def test_the_basket_does_not_change_while_the_card_is_out(staff, shop, shirt, device):
    """The reader sells the lines it was started with and the sale ends with it: an
    item scanned, a units change or a line removed meanwhile is refused, not
    dropped unsold."""
    pay_by_card(staff)
    intent = waiting(staff)
    line = intent.cart.lines.get()

    scanned = staff.post(reverse("staff:sale_add"), {"code": "SHIRT-BLU-M"}, **HTMX)
    more = staff.post(
        reverse("staff:sale_line", args=[line.pk]), {"quantity": "3"}, **HTMX
    )
    removed = staff.post(
        reverse("staff:sale_line", args=[line.pk]), {"quantity": "0"}, **HTMX
    )

    assert (scanned.status_code, more.status_code, removed.status_code) == (
        422,
        422,
        422,
    )
    assert "card reader is waiting" in scanned.content.decode()
    line.refresh_from_db()
    assert line.quantity == 1
    simulate(staff, intent, "approve")
    order = Order.objects.get()
    assert [(ol.variant_id, ol.quantity) for ol in order.lines.all()] == [(shirt.pk, 1)]


def test_the_sale_is_not_cleared_while_the_card_is_out(staff, shop, shirt, device):
    """Clearing the basket while the reader waits would leave a payment the counter
    no longer follows: refused with the reason, the sale kept; once the payment is
    cancelled the basket clears."""
    pay_by_card(staff)
    intent = waiting(staff)

    refused = staff.post(reverse("staff:sale_clear"), follow=True)

    assert "card reader is waiting" in refused.content.decode()
    assert staff.session.get("sale_cart_token") == intent.cart.token
    staff.post(reverse("staff:sale_terminal_cancel", args=[intent.reference]))
    staff.post(reverse("staff:sale_clear"))
    assert staff.session.get("sale_cart_token") is None


def test_what_the_sale_keeps_beside_its_basket_waits_for_the_card(
    staff, shop, shirt, device
):
    """The reader's sale keeps the customer, code and gift cards it started with: a
    change to them meanwhile, or parking the sale, is refused with the reason (it
    would be lost without a word), and the sale is as it was."""
    pay_by_card(staff)
    intent = waiting(staff)
    before = dict(staff.session.items())

    posts = [
        ("staff:sale_customer", {"kind": "email", "value": "pia@example.com"}),
        ("staff:sale_discount", {"code": "SHOP10"}),
        ("staff:sale_gift_card_add", {"number": "1", "pin": "1", "amount": "10"}),
        ("staff:sale_park", {}),
    ]
    for name, data in posts:
        response = staff.post(reverse(name), data, **HTMX)
        assert response.status_code == 200, name
        assert response["HX-Redirect"] == reverse("staff:sale"), name
    page = staff.get(reverse("staff:sale"), follow=True).content.decode()

    assert "card reader is waiting" in page
    kept = {k: v for k, v in staff.session.items() if k.startswith("sale_")}
    assert kept == {k: v for k, v in before.items() if k.startswith("sale_")}
    simulate(staff, intent, "approve")
    assert Order.objects.count() == 1


def test_a_sale_paid_on_the_reader_keeps_who_helped_on_each_line(
    staff, shop, shirt, device
):
    """Named on the basket's line, the associate who helped is credited whatever
    the sale is paid with: the reader's sale is placed with the line's helper."""
    from orders.models import CartLine

    helper = StaffFactory(store=shop, first_name="Marco")
    staff.post(reverse("staff:sale_add"), {"code": "SHIRT-BLU-M"}, **HTMX)
    line = CartLine.objects.get()
    staff.post(
        reverse("staff:sale_line_helper", args=[line.pk]), {"helper": helper.pk}, **HTMX
    )
    payload = {"mode": "carry_out", "method_1": PaymentMethod.CARD_IN_STORE}
    staff.post(reverse("staff:sale_checkout"), payload, **HTMX)
    simulate(staff, waiting(staff), "approve")

    order = Order.objects.get()
    assert order.lines.get().helped_by == helper


def test_a_card_sale_without_an_open_till_never_reaches_the_reader(
    client, shop, shirt, device
):
    """Every counter sale, by card too, is booked on the device's till: with it not
    open, the checkout is refused on the page before the card is asked for."""
    Register.objects.create(location=shop, name="Till 1")  # not opened
    client.force_login(StaffFactory(store=shop))

    response = pay_by_card(client)

    assert response.status_code == 422
    body = response.content.decode()
    assert "Open the till first" in body and "Nothing was sold" in body
    assert not TerminalIntent.objects.exists()  # the reader was never asked
    assert Order.objects.count() == 0 and on_hand(shirt, shop) == (5, 0)


def test_the_till_is_not_closed_while_a_card_waits_for_it(
    staff, shop, shirt, device, till
):
    """The card out on the reader is a sale of this till: closing it from another
    device is refused naming the payment, the till stays open; once the card paid,
    the sale is booked there and the close lists it on the Z report."""
    pay_by_card(staff)
    intent = waiting(staff)
    manager = client_for(shop)

    refused = close_till(manager, **{"50": 2})

    assert refused.status_code == 422
    body = refused.content.decode()
    assert f"A card payment of 40.00 EUR ({intent.reference}, started by" in body
    assert "is waiting on Till 1" in body and "The till is still open" in body
    terminal = reverse("staff:sale_terminal", args=[intent.reference])
    assert f'href="{terminal}" data-testid="waiting-payment"' in body
    till.refresh_from_db()
    assert till.status == TillSessionStatus.OPEN

    simulate(staff, intent, "approve")
    order = Order.objects.get()
    assert TillMovement.objects.get(kind="sale", order=order).session == till
    closed = close_till(manager, **{"50": 2})
    assert closed["HX-Redirect"] == reverse("staff:till_report", args=[till.pk])
    assert order.number in shown(manager, closed["HX-Redirect"])


def test_a_card_paying_after_the_till_closed_is_given_back(
    staff, shop, shirt, device, till, settings
):
    """A payment past its time no longer holds the till, which closes. The card
    paying it afterwards has no open till to be booked on: as with a split's cash
    part, the sale is refused and the card given back, never sold on no Z report."""
    settings.OMNISTORE_TERMINAL_TIMEOUT_SECONDS = 0
    pay_by_card(staff)
    intent = waiting(staff)
    manager = client_for(shop)
    closed = close_till(manager, **{"50": 2})
    assert closed["HX-Redirect"] == reverse("staff:till_report", args=[till.pk])

    response = simulate(staff, intent, "approve")

    assert response["HX-Redirect"] == reverse("staff:sale")
    page = shown(staff, reverse("staff:sale"))
    assert "The card paid but the sale was refused and the payment given back" in page
    assert "till is not open on this register any more" in page
    intent.refresh_from_db()
    assert intent.status == S.REVERSED
    assert simulator().reversed[f"{intent.reference}:reverse"] == Decimal("40.00")
    assert Order.objects.count() == 0 and on_hand(shirt, shop) == (5, 0)
    assert not TillMovement.objects.filter(kind="sale").exists()
