"""A franc counter sale paid with a gift card and cash: a card given no amount pays
what it holds, a few centimes less where the cash left would be an amount the
drawer's coins cannot make (0.05 the smallest), so the cash is and the customer pays
no more than the total; a card amount typed is taken as typed, and a cash part no
coins make is refused as ever."""

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from omnistore.core.channels import Channel
from omnistore.core.exceptions import ValidationFailed
from orders.models import (
    GiftCardTransaction,
    GiftCardTxnKind,
    Order,
    PaymentMethod,
    PaymentStatus,
    TillMovement,
    TillMovementKind,
)
from orders.selectors.till import expected_cash
from orders.services.checkout import LineRequest, place_order
from orders.services.payments import PaymentRequest
from orders.services.till import TillBooking
from tests.factories import StaffFactory
from tests.orders.factories import in_francs, on_hand, stocked
from tests.orders.stored_value_helpers import PIN, balance, gift_card, ledger_total
from tests.orders.till_helpers import open_counter_till

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]
HTMX = {"HTTP_HX_REQUEST": "true"}
D = Decimal


@pytest.fixture
def clerk(zurich):
    return StaffFactory(store=zurich)


@pytest.fixture
def session(clerk):
    return open_counter_till(clerk)


@pytest.fixture
def desk(client, clerk, session):
    client.force_login(clerk)
    return client


@pytest.fixture
def belt(zurich):
    """29.98 CHF on Zürich's shelves: no coins make it."""
    return in_francs(stocked(zurich, 5, price="28.00", sku="BELT-BRN-90"), "29.98")


def sell(desk, item, card, **payment):
    desk.post(reverse("staff:sale_add"), {"code": item.sku}, **HTMX)
    data = {
        "mode": "carry_out",
        "method_1": "cash",
        "gift_card_number": card.number,
        "gift_card_pin": PIN,
        **payment,
    }
    return desk.post(reverse("staff:sale_checkout"), data, **HTMX)


def paid(order) -> dict:
    return {p.method: (p.amount, p.status) for p in order.payments.all()}


def test_a_card_given_no_amount_leaves_cash_the_coins_make(desk, belt, session):
    """29.98 with 20.00 on the card: 19.98 from the card, 10.00 in cash, on the
    order, the card's ledger, the till and the receipt."""
    card = gift_card("20.00", currency="CHF")

    sold = sell(desk, belt, card, tendered="10.00")

    assert "HX-Redirect" in sold, sold.content.decode()[:2000]
    order = Order.objects.get()
    assert order.total == D("29.98")
    assert paid(order) == {
        "gift_card": (D("19.98"), PaymentStatus.CAPTURED),
        "cash": (D("10.00"), PaymentStatus.CAPTURED),
    }
    assert balance(card) == D("0.02") == ledger_total(card)
    spent = GiftCardTransaction.objects.get(card=card, kind=GiftCardTxnKind.REDEEM)
    assert spent.amount == D("-19.98")
    booked = TillMovement.objects.get(kind=TillMovementKind.SALE)
    assert (booked.amount, booked.rounding, booked.tendered, booked.change) == (
        D("10.00"),
        D("0.00"),
        D("10.00"),
        D("0.00"),
    )
    assert expected_cash(session) == D("110.00")  # the float and the sale
    receipt = desk.get(reverse("staff:sale_receipt", args=[order.number]))
    html = receipt.content.decode().partition('data-testid="receipt-tenders"')[2]
    tenders = html.partition("</table>")[0]
    assert '<td>Gift card</td><td class="num">19.98</td>' in tenders
    assert '<td>Cash</td><td class="num">10.00</td>' in tenders


def test_cash_handed_over_for_the_rest_gets_its_change(desk, belt):
    card = gift_card("20.00", currency="CHF")

    sold = sell(desk, belt, card, amount_1="20.00")

    assert "HX-Redirect" in sold, sold.content.decode()[:2000]
    booked = TillMovement.objects.get(kind=TillMovementKind.SALE)
    assert (booked.amount, booked.tendered, booked.change) == (
        D("10.00"),
        D("20.00"),
        D("10.00"),
    )
    assert balance(card) == D("0.02")


def test_a_balance_leaving_a_coin_amount_is_taken_whole(desk, belt):
    card = gift_card("19.98", currency="CHF")

    sell(desk, belt, card)

    order = Order.objects.get()
    assert paid(order) == {
        "gift_card": (D("19.98"), PaymentStatus.CAPTURED),
        "cash": (D("10.00"), PaymentStatus.CAPTURED),
    }
    assert balance(card) == D("0.00")


def test_a_card_holding_more_than_the_total_pays_it_all(desk, belt):
    card = gift_card("50.00", currency="CHF")

    sell(desk, belt, card)

    assert paid(Order.objects.get()) == {
        "gift_card": (D("29.98"), PaymentStatus.CAPTURED)
    }
    assert balance(card) == D("20.02")
    assert not TillMovement.objects.filter(
        kind=TillMovementKind.SALE, amount__gt=0
    ).exists()


def test_a_bank_card_paying_the_rest_takes_the_card_whole(desk, belt):
    """Only cash is counted in coins: a bank card pays the 9.98 left."""
    card = gift_card("20.00", currency="CHF")

    sell(desk, belt, card, method_1="card_in_store")

    assert paid(Order.objects.get()) == {
        "gift_card": (D("20.00"), PaymentStatus.CAPTURED),
        "card_in_store": (D("9.98"), PaymentStatus.CAPTURED),
    }
    assert balance(card) == D("0.00")


def test_a_card_amount_typed_leaving_cash_no_coins_make_is_refused(desk, belt, zurich):
    """The associate chose 20.00: the 9.98 of cash is refused on its field, nothing
    charged or sold."""
    card = gift_card("20.00", currency="CHF")

    refused = sell(desk, belt, card, gift_card_amount="20.00")

    message = "9.98 CHF cannot be paid in coins: 9.95 or 10.00."
    assert refused.status_code == 422
    form = refused.context["payment_form"]
    assert form.errors["amount_1"] == [message]
    assert not Order.objects.exists()
    assert balance(card) == D("20.00")
    assert not TillMovement.objects.filter(kind=TillMovementKind.SALE).exists()
    assert on_hand(belt, zurich) == 5


def test_a_card_given_no_amount_with_a_wrong_pin_is_refused(desk, belt):
    card = gift_card("20.00", currency="CHF")

    refused = sell(desk, belt, card, gift_card_pin="000000")

    assert refused.status_code == 422
    assert "The gift card number or PIN is wrong." in refused.content.decode()
    assert not Order.objects.exists()
    assert balance(card) == D("20.00")


def test_the_service_refuses_a_typed_card_amount_leaving_cash_no_coins_make(
    zurich, belt, clerk, session
):
    card = gift_card("20.00", currency="CHF")

    with pytest.raises(ValidationFailed) as refused:
        place_order(
            lines=[LineRequest(belt, 1)],
            channel=Channel.STORE,
            fulfilment="carry_out",
            placing_location=zurich,
            staff=clerk,
            payments=[
                PaymentRequest(
                    PaymentMethod.GIFT_CARD,
                    amount=D("20.00"),
                    card_number=card.number,
                    pin=PIN,
                ),
                PaymentRequest(PaymentMethod.CASH),
            ],
            till=TillBooking(session),
        )

    assert refused.value.code == "cash_not_in_coins"
    assert not Order.objects.exists()
    assert balance(card) == D("20.00")


def test_only_a_shop_rounding_cash_says_a_card_may_pay_a_few_cents_less(
    desk, belt, milano
):
    """The drawer's coins make every amount of euros: a euro shop's sale screen
    says nothing of a card paying less so they can."""
    clause = "a few cents less when cash pays the rest"
    desk.post(reverse("staff:sale_add"), {"code": belt.sku}, **HTMX)
    in_francs = desk.get(reverse("staff:sale")).content.decode()
    assert 'data-testid="stored-value"' in in_francs
    assert clause in in_francs
    euro_desk = Client()
    euro_clerk = StaffFactory(store=milano)
    euro_desk.force_login(euro_clerk)
    open_counter_till(euro_clerk)
    item = stocked(milano, 5, price="29.98", sku="BELT-BRN-95")
    euro_desk.post(reverse("staff:sale_add"), {"code": item.sku}, **HTMX)

    in_euros = euro_desk.get(reverse("staff:sale")).content.decode()

    assert 'data-testid="stored-value"' in in_euros
    assert "a gift card with no amount pays what it holds; card or cash" in in_euros
    assert clause not in in_euros
