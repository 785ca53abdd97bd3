"""Stored value at the counter: a gift card, the store credit and points of the
customer attached by their loyalty card taken first, card or cash for the rest; bad
cards refused with nothing taken; a split-tender counter sale returned at the counter
refunds each tender."""

from decimal import Decimal

import pytest
from django.urls import reverse

from orders.models import Order, TillSession
from tests.customers.factories import make_customer
from tests.factories import LocationFactory, StaffFactory, VariantFactory, stock
from tests.fakes.redis_faults import closed_redis_url, shared_cache
from tests.orders.stored_value_helpers import (
    PIN,
    balance,
    credit_of,
    gift_card,
    give_credit,
    give_points,
    ledger_total,
    points_of,
    return_and_refund,
)
from tests.orders.till_helpers import open_counter_till

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def shop():
    return LocationFactory()


@pytest.fixture
def associate(shop):
    return StaffFactory(store=shop)


@pytest.fixture
def staff(client, associate):
    client.force_login(associate)
    open_counter_till(associate)
    return client


@pytest.fixture
def shirt(shop):
    item = VariantFactory(sku="SHIRT-SV", price="80.00")
    stock(item, shop, 5)
    return item


def scan(client, code):
    client.post(reverse("staff:sale_add"), {"code": code}, **HTMX)


def attach(client, customer):
    """By the customer's loyalty card, as their points and store credit need."""
    client.post(
        reverse("staff:sale_customer"),
        {"kind": "loyalty", "value": customer.loyalty_number},
        **HTMX,
    )


def pay(client, **data):
    payload = {"mode": "carry_out", "method_1": "cash", **data}
    return client.post(reverse("staff:sale_checkout"), payload, **HTMX)


def paid(order) -> dict[str, Decimal]:
    return {p.method: p.amount for p in order.payments.all()}


def test_part_gift_card_part_cash_with_change(staff, shirt):
    card = gift_card("50.00")
    scan(staff, shirt.sku)
    response = pay(
        staff,
        gift_card_number=card.number,
        gift_card_pin=PIN,
        gift_card_amount="50.00",
        tendered="40.00",
    )
    assert response.status_code in (200, 204, 302), response.content.decode()[:2000]
    order = Order.objects.get()
    assert paid(order) == {"gift_card": Decimal("50.00"), "cash": Decimal("30.00")}
    assert balance(card) == Decimal("0.00")
    assert ledger_total(card) == Decimal("0.00")
    sale = TillSession.objects.get().movements.get(kind="sale")
    # Only the cash goes into the drawer: 30.00 of the 40.00 handed over.
    assert (sale.amount, sale.tendered, sale.change) == (
        Decimal("30.00"),
        Decimal("40.00"),
        Decimal("10.00"),
    )
    receipt = staff.get(reverse("staff:sale_receipt", args=[order.number]))
    text = receipt.content.decode()
    assert "Gift card" in text and "50.00" in text and "Cash" in text


def test_a_gift_card_paying_it_all_needs_no_cash(staff, shirt):
    card = gift_card("100.00")
    scan(staff, shirt.sku)
    pay(
        staff, gift_card_number=card.number, gift_card_pin=PIN, gift_card_amount="80.00"
    )
    order = Order.objects.get()
    assert paid(order) == {"gift_card": Decimal("80.00")}
    assert balance(card) == Decimal("20.00")


def test_store_credit_points_and_card_for_the_attached_customer(staff, shirt):
    pia = make_customer(phone="+393331234567", first_name="Pia")
    give_credit(pia, "20.00")
    give_points(pia, 1000)
    scan(staff, shirt.sku)
    attach(staff, pia)
    pay(staff, method_1="card_in_store", store_credit_amount="20.00", points=1000)
    order = Order.objects.get()
    assert paid(order) == {
        "store_credit": Decimal("20.00"),
        "loyalty_points": Decimal("10.00"),
        "card_in_store": Decimal("50.00"),
    }
    assert credit_of(pia) == 0 and points_of(pia) == 0


@pytest.mark.parametrize("case", ["wrong_pin", "expired", "currency", "short"])
def test_a_refused_gift_card_at_the_counter_takes_nothing(staff, shirt, case):
    card = gift_card("30.00", currency="CHF" if case == "currency" else "EUR")
    if case == "expired":
        type(card).objects.filter(pk=card.pk).update(expires_at="2020-01-01T00:00Z")
    scan(staff, shirt.sku)
    response = pay(
        staff,
        gift_card_number=card.number,
        gift_card_pin="999999" if case == "wrong_pin" else PIN,
        gift_card_amount="40.00" if case == "short" else "30.00",
    )
    html = response.content.decode()
    assert response.status_code == 422
    expected = {
        "wrong_pin": "The gift card number or PIN is wrong.",
        "expired": "This gift card expired on 2020-01-01.",
        "currency": "This gift card is in CHF; this sale is in EUR.",
        "short": "The gift card holds 30.00 EUR; 40.00 was asked.",
    }[case]
    assert expected in html
    assert not Order.objects.exists()
    assert balance(card) == Decimal("30.00")


def test_more_points_than_the_customer_holds_is_refused(staff, shirt):
    pia = make_customer(phone="+393331234567", first_name="Pia")
    give_points(pia, 200)
    scan(staff, shirt.sku)
    attach(staff, pia)
    response = pay(staff, method_1="card_in_store", points=500)
    assert response.status_code == 422
    assert "Not enough points: 200 held, 500 asked." in response.content.decode()
    assert points_of(pia) == 200
    assert not Order.objects.exists()


def test_twenty_wrong_pins_at_the_counter_lock_the_card(staff, shirt):
    card = gift_card("30.00")
    scan(staff, shirt.sku)
    for attempt in range(20):
        response = pay(
            staff,
            gift_card_number=card.number,
            gift_card_pin=f"{attempt:06d}",
            gift_card_amount="10.00",
        )
    assert "locked after too many wrong PINs" in response.content.decode()
    response = pay(
        staff, gift_card_number=card.number, gift_card_pin=PIN, gift_card_amount="10.00"
    )
    assert "locked after too many wrong PINs" in response.content.decode()
    assert not Order.objects.exists()


def test_stored_value_over_the_total_is_refused(staff, shirt):
    card = gift_card("100.00")
    scan(staff, shirt.sku)
    response = pay(
        staff, gift_card_number=card.number, gift_card_pin=PIN, gift_card_amount="90.00"
    )
    assert response.status_code == 422
    assert "more than the total 80.00" in response.content.decode()
    assert balance(card) == Decimal("100.00")


def test_a_counter_return_of_a_split_sale_refunds_each_tender(
    staff, shirt, shop, associate, settings
):
    settings.OMNISTORE_APPROVAL_REFUND_ABOVE = None
    pia = make_customer(phone="+393331234567", first_name="Pia")
    give_points(pia, 1000)
    card = gift_card("30.00")
    scan(staff, shirt.sku)
    attach(staff, pia)
    pay(
        staff,
        method_1="cash",
        gift_card_number=card.number,
        gift_card_pin=PIN,
        gift_card_amount="30.00",
        points=1000,
    )
    order = Order.objects.get()
    assert paid(order) == {
        "gift_card": Decimal("30.00"),
        "loyalty_points": Decimal("10.00"),
        "cash": Decimal("40.00"),
    }
    line = order.lines.get()
    refunded = return_and_refund(order, line, actor=associate, location=shop)
    assert refunded == {
        "cash": Decimal("40.00"),
        "gift_card": Decimal("30.00"),
        "loyalty_points": Decimal("10.00"),
    }
    assert balance(card) == Decimal("30.00")
    assert points_of(pia) >= 1000  # spent points back (earned ones reversed apart)


def test_the_balance_check_page_shows_the_masked_card_and_counts_wrong_pins(staff):
    card = gift_card("35.00")
    url = reverse("staff:gift_card_balance")
    assert staff.get(url).status_code == 200
    shown = staff.post(url, {"number": card.number, "pin": PIN})
    html = shown.content.decode()
    assert "35.00 EUR" in html and card.number[-4:] in html
    assert card.number not in html
    for attempt in range(5):
        wrong = staff.post(url, {"number": card.number, "pin": f"{attempt:06d}"})
    assert wrong.status_code == 422
    assert "locked after too many wrong PINs" in wrong.content.decode()


def test_the_balance_check_page_says_when_pins_cannot_be_counted(staff, settings):
    card = gift_card("35.00")
    settings.CACHES = shared_cache(closed_redis_url())  # the shared cache is down
    answer = staff.post(
        reverse("staff:gift_card_balance"), {"number": card.number, "pin": PIN}
    )
    html = answer.content.decode()
    assert answer.status_code == 422
    assert "Gift cards cannot be checked right now" in html
    assert "35.00 EUR" not in html
