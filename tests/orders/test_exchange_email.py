"""The email an exchange sends says what happened: the items that came back, the new
order they paid for and any difference paid, and what is left as store credit; never a
refund to a card or credit already spent."""

from decimal import Decimal

import pytest
from django.core import mail

from orders.models import PaymentMethod
from orders.services.checkout import LineRequest
from orders.services.exchanges import exchange_items
from orders.services.payments import PaymentRequest
from orders.services.refunds import return_at_counter
from tests.customers.factories import make_customer
from tests.factories import StaffFactory
from tests.orders.factories import deliver_outbox, shop, stocked
from tests.orders.returns_helpers import counter_sale, line_request
from tests.orders.till_helpers import open_counter_till

pytestmark = pytest.mark.django_db


@pytest.fixture
def store():
    return shop(code="MI01", name="Milano Duomo")


@pytest.fixture
def associate(store):
    return StaffFactory(store=store)


@pytest.fixture
def giulia():
    return make_customer(email="giulia@example.com")


def sold(store, associate, customer, price="59.90"):
    item = stocked(store, 5, price=price)
    sale = counter_sale(
        store=store, lines=[(item, 1)], staff=associate, customer=customer
    )
    deliver_outbox()
    mail.outbox = []
    return sale


def the_message(code: str):
    deliver_outbox()
    (message,) = [m for m in mail.outbox if code in m.subject]
    return message


def the_email(code: str):
    message = the_message(code)
    return message.body, message.alternatives[0][0]


def test_an_even_exchange_says_the_returned_value_paid_for_the_new_order(
    store, associate, giulia
):
    sale = sold(store, associate, giulia)
    other_size = stocked(store, 5, price="59.90")

    result = exchange_items(
        order=sale.number,
        lines=[line_request(sale, 1, "too_small")],
        replacement=[LineRequest(other_size, 1)],
        location=store,
        actor=associate,
    )

    message = the_message(result.return_request.code)
    assert message.subject == f"Your exchange for return {result.return_request.code}"
    text, html = message.body, message.alternatives[0][0]
    new = result.order.number
    for body in (text, html):
        assert new in body
        assert "added to your store credit" not in body
        assert "Card refunds" not in body
    assert f"were exchanged for your new order {new}" in text
    assert "59.90 EUR from the items returned" in text
    assert "stays on your store credit" not in text


def test_a_dearer_exchange_names_the_difference_paid(store, associate, giulia):
    sale = sold(store, associate, giulia, price="40.00")
    dearer = stocked(store, 5, price="45.00")
    open_counter_till(associate)

    result = exchange_items(
        order=sale.number,
        lines=[line_request(sale, 1, "too_small")],
        replacement=[LineRequest(dearer, 1)],
        location=store,
        actor=associate,
        payments=[PaymentRequest(PaymentMethod.CASH)],
    )

    text, _ = the_email(result.return_request.code)
    assert "40.00 EUR from the items returned" in text
    assert "5.00 EUR cash" in text
    assert "Card refunds" not in text


def test_a_cheaper_exchange_says_the_rest_stays_as_store_credit(
    store, associate, giulia
):
    sale = sold(store, associate, giulia, price="90.00")
    scarf = stocked(store, 5, price="25.00")

    result = exchange_items(
        order=sale.number,
        lines=[line_request(sale, 1, "changed_mind")],
        replacement=[LineRequest(scarf, 1)],
        location=store,
        actor=associate,
    )

    assert result.credit_left == Decimal("65.00")
    text, _ = the_email(result.return_request.code)
    assert "25.00 EUR from the items returned" in text
    assert "They came to 90.00 EUR of store credit" in text
    assert "stays on your store credit" in text


def test_a_refund_as_store_credit_leaves_out_the_card_line(store, associate, giulia):
    sale = sold(store, associate, giulia)

    ret = return_at_counter(
        order=sale.number,
        lines=[line_request(sale)],
        location=store,
        actor=associate,
        refund_method="store_credit",
    )

    message = the_message(ret.code)
    assert message.subject == f"Your refund for return {ret.code}"
    text, html = message.body, message.alternatives[0][0]
    assert "59.90 EUR added to your store credit" in text
    assert "Card refunds" not in text and "Card refunds" not in html


def test_a_refund_to_the_card_keeps_the_card_line(store, associate, giulia):
    sale = sold(store, associate, giulia)

    ret = return_at_counter(
        order=sale.number, lines=[line_request(sale)], location=store, actor=associate
    )

    text, html = the_email(ret.code)
    assert "back to your card" in text
    assert text.count("Card refunds can take a few days") == 1
    assert "Card refunds can take a few days" in html
