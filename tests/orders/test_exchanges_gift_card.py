"""A gift card pays the difference of an exchange, through the service and the
returns desk's exchange form; a short card refuses the exchange whole."""

from decimal import Decimal

import pytest
from django.utils import timezone

from omnistore.core.exceptions import ValidationFailed
from omnistore.staff.once import new_token
from orders.models import Payment, PaymentMethod, Return
from orders.services.checkout import LineRequest
from orders.services.exchanges import difference_tenders, exchange_items
from orders.services.payments import PaymentRequest
from tests.customers.factories import make_customer
from tests.factories import StaffFactory
from tests.orders.factories import shop, stocked
from tests.orders.returns_helpers import counter_sale, line_request
from tests.orders.stored_value_helpers import PIN, balance, gift_card

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]


def exchange(store, associate, card, price="60.00"):
    small = stocked(store, 5, price="40.00")
    large = stocked(store, 5, price=price)
    customer = make_customer(phone="+393331234567")
    sale = counter_sale(
        store=store, lines=[(small, 1)], staff=associate, customer=customer
    )
    return exchange_items(
        order=sale.number,
        lines=[line_request(sale, 1, "too_small")],
        replacement=[LineRequest(large, 1)],
        location=store,
        actor=associate,
        payments=[
            PaymentRequest(PaymentMethod.GIFT_CARD, card_number=card.number, pin=PIN)
        ],
    )


def test_a_gift_card_pays_the_difference_of_an_exchange():
    store = shop()
    associate = StaffFactory(store=store)
    card = gift_card("50.00")
    result = exchange(store, associate, card)
    assert sorted(
        Payment.objects.filter(order=result.order).values_list("method", "amount")
    ) == [("gift_card", Decimal("20.00")), ("store_credit", Decimal("40.00"))]
    assert balance(card) == Decimal("30.00")


def test_a_short_gift_card_refuses_the_exchange_and_changes_nothing():
    store = shop()
    associate = StaffFactory(store=store)
    card = gift_card("10.00")
    with pytest.raises(ValidationFailed, match="holds 10.00 EUR"):
        exchange(store, associate, card)
    assert balance(card) == Decimal("10.00")
    assert not Return.objects.exists()


def test_the_exchange_desk_takes_the_difference_from_a_gift_card(client):
    from django.urls import reverse

    from orders.models import Order

    store = shop()
    associate = StaffFactory(store=store)
    client.force_login(associate)
    card = gift_card("50.00")
    small = stocked(store, 5, price="40.00", sku="TEE-S")
    stocked(store, 5, price="45.00", sku="TEE-L")
    order = counter_sale(
        store=store,
        lines=[(small, 1)],
        staff=associate,
        customer=make_customer(phone="+393331234567"),
    )
    line = order.lines.get()
    url = reverse("staff:return_exchange", args=[order.number])
    data = {
        f"qty_{line.pk}": "1",
        f"reason_{line.pk}": "too_small",
        f"condition_{line.pk}": "sellable",
        "code_1": "TEE-L",
        "units_1": "1",
        "fulfilment": "carry_out",
        "tender": "card_in_store",
        "once": new_token(),
        "gift_card_number": card.number,
        "gift_card_pin": PIN,
    }
    review = client.post(url, data)
    assert review.status_code == 200
    assert 'name="gift_card_number"' in review.content.decode()
    done = client.post(url, {**data, "confirm": review.context["review"].key})
    assert done.status_code == 302
    new_order = Order.objects.exclude(pk=order.pk).get()
    assert sorted(new_order.payments.values_list("method", "amount")) == [
        ("gift_card", Decimal("5.00")),
        ("store_credit", Decimal("40.00")),
    ]
    assert balance(card) == Decimal("45.00")


@pytest.mark.parametrize(
    ("rest_by", "card_pays"),
    [(PaymentMethod.CASH, "19.98"), (PaymentMethod.CARD_IN_STORE, "20.00")],
)
def test_a_gift_card_before_cash_leaves_a_franc_difference_the_coins_make(
    rest_by, card_pays
):
    """A 29.98 CHF difference with 20.00 on the card: cash after it pays 10.00, the
    card 19.98; a bank card after it pays the 9.98 the whole card leaves."""
    card = gift_card("20.00", currency="CHF")
    tenders = difference_tenders(
        Decimal("29.98"),
        [
            PaymentRequest(PaymentMethod.GIFT_CARD, card_number=card.number, pin=PIN),
            PaymentRequest(rest_by),
        ],
        currency="CHF",
        now=timezone.now(),
    )
    assert [(t.method, t.amount) for t in tenders] == [
        (PaymentMethod.GIFT_CARD, Decimal(card_pays)),
        (rest_by, None),
    ]
