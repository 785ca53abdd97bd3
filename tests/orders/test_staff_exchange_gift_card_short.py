"""A gift card paying an exchange's difference is checked at the review (its number,
PIN and balance, as completing the exchange checks them) and pays what it holds:
a card short of the difference is said at the review, and the tender chosen
beside it (cash, into the open till) pays the rest."""

import re
from decimal import Decimal

import pytest
from django.test import override_settings
from django.urls import reverse

from omnistore.staff.once import new_token
from orders.models import Order, Return, TillMovement, TillMovementKind
from tests.customers.factories import make_customer
from tests.factories import StaffFactory
from tests.orders.factories import on_hand, shop, stocked
from tests.orders.returns_helpers import counter_sale
from tests.orders.stored_value_helpers import PIN, balance, gift_card
from tests.orders.till_helpers import open_counter_till

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]
D = Decimal


@pytest.fixture
def store():
    return shop(code="TO01", name="Torino Porta Nuova")


@pytest.fixture
def associate(store):
    return StaffFactory(store=store)


@pytest.fixture
def desk(client, associate):
    client.force_login(associate)
    return client


@pytest.fixture
def order(store):
    """A 59.90 shirt bought by a customer; three more of it are on the shelf."""
    shirt = stocked(store, 4, price="59.90", sku="SHIRT-M")
    return counter_sale(
        store=store,
        lines=[(shirt, 1)],
        staff=StaffFactory(store=store),
        customer=make_customer(phone="+393331234567"),
    )


def exchange_form(order, card, pin=PIN):
    """The shirt back for three of it (179.70): 119.80 to pay, by the card first."""
    line = order.lines.get()
    return {
        "once": new_token(),
        f"qty_{line.pk}": "1",
        f"reason_{line.pk}": "too_small",
        f"condition_{line.pk}": "sellable",
        "code_1": "SHIRT-M",
        "units_1": "3",
        "fulfilment": "carry_out",
        "tender": "cash",
        "gift_card_number": card.number,
        "gift_card_pin": pin,
    }


def test_a_short_card_is_said_at_the_review_and_cash_pays_the_rest(
    desk, store, associate, order
):
    card = gift_card("110.00")
    till = open_counter_till(associate)
    url = reverse("staff:return_exchange", args=[order.number])
    form = exchange_form(order, card)

    review = desk.post(url, form)

    assert review.status_code == 200, review.content.decode()
    page = review.content.decode()
    assert "The customer pays <strong>119.80 EUR</strong>" in page
    assert (
        "The gift card holds <strong>110.00 EUR</strong>, <strong>9.80 EUR</strong> "
        "short: it pays all it holds and the customer pays <strong>9.80 EUR</strong> "
        "by cash."
    ) in page
    done = desk.post(url, {**form, "confirm": review.context["review"].key})

    assert done.status_code == 302, done.content.decode()
    new_order = Order.objects.exclude(pk=order.pk).get()
    assert sorted(new_order.payments.values_list("method", "amount")) == [
        ("cash", D("9.80")),
        ("gift_card", D("110.00")),
        ("store_credit", D("59.90")),
    ]
    assert balance(card) == D("0.00")
    booked = TillMovement.objects.get(session=till, kind=TillMovementKind.SALE)
    assert (booked.order, booked.amount) == (new_order, D("9.80"))


def test_a_short_card_with_the_till_closed_is_refused_at_the_review(desk, store, order):
    """What the card is short by is taken in cash, and cash needs the till: said
    before anything is confirmed, nothing taken."""
    card = gift_card("110.00")
    url = reverse("staff:return_exchange", args=[order.number])

    refused = desk.post(url, exchange_form(order, card))

    assert refused.status_code == 422
    assert "review" not in refused.context
    assert "Cash moves only through an open till" in refused.content.decode()
    assert balance(card) == D("110.00")
    assert not Return.objects.exists()


def test_a_card_holding_the_difference_pays_it_all_and_takes_no_cash(
    desk, store, order
):
    """No cash is left to take, so the till being closed does not matter."""
    card = gift_card("200.00")
    url = reverse("staff:return_exchange", args=[order.number])
    form = exchange_form(order, card)

    review = desk.post(url, form)

    assert review.status_code == 200, review.content.decode()
    assert "The gift card pays <strong>119.80 EUR</strong>." in (
        review.content.decode()
    )
    done = desk.post(url, {**form, "confirm": review.context["review"].key})
    assert done.status_code == 302, done.content.decode()
    new_order = Order.objects.exclude(pk=order.pk).get()
    assert sorted(new_order.payments.values_list("method", "amount")) == [
        ("gift_card", D("119.80")),
        ("store_credit", D("59.90")),
    ]
    assert balance(card) == D("80.20")
    assert on_hand(order.lines.get().variant, store) == 1


@override_settings(OMNISTORE_GIFT_CARD_PIN_MAX_FAILURES=3)
def test_a_wrong_pin_is_refused_at_the_review_and_counted(desk, store, order):
    """The review says no more than completing would (not the balance), and each
    wrong PIN counts towards the card's lock as a spend's does."""
    card = gift_card("110.00")
    url = reverse("staff:return_exchange", args=[order.number])

    refused = desk.post(url, exchange_form(order, card, pin="000000"))

    assert refused.status_code == 422
    assert "review" not in refused.context
    errors = refused.context["form"].errors["gift_card_number"]
    assert errors == [
        "The gift card number or PIN is wrong. 2 attempts left before the card locks."
    ]
    assert "110.00" not in refused.content.decode()
    desk.post(url, exchange_form(order, card, pin="000001"))
    desk.post(url, exchange_form(order, card, pin="000002"))

    locked = desk.post(url, exchange_form(order, card))

    assert locked.status_code == 422
    assert "This gift card is locked after too many wrong PINs" in (
        locked.content.decode()
    )
    assert balance(card) == D("110.00")
    assert not Return.objects.exists()


def test_the_review_page_posts_the_pin_back_with_complete_exchange(
    desk, store, associate, order
):
    """What the browser sends when *Complete exchange* is pressed is the review
    page's form as drawn: its PIN field keeps the PIN typed, so the confirmation
    matches the review and goes through."""
    card = gift_card("110.00")
    open_counter_till(associate)
    url = reverse("staff:return_exchange", args=[order.number])

    review = desk.post(url, exchange_form(order, card))

    assert review.status_code == 200, review.content.decode()
    [pin_input] = re.findall(r'<input[^>]*name="gift_card_pin"[^>]*>', review.text)
    assert f'value="{PIN}"' in pin_input
    assert 'type="password"' in pin_input
