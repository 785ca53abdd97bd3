"""The returns desk offers a return only of an order with something left to take
back: an order of gift cards alone (an e-gift card bought online) has no item to
return, and one whose items all came back has none left. Found by its number or
opened by its address, such an order says why instead: a card sold voided or
expired is said to be so, and items on a return not received yet name that return,
linked, where the desk receives them."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from orders.models import GiftCard, Return
from orders.services.giftcards import void_gift_card
from orders.services.refunds import receive_return
from orders.services.return_endings import cancel_return
from orders.services.returns import ReturnLineRequest, request_return
from tests.customers.factories import make_customer
from tests.factories import LocationFactory, StaffFactory
from tests.orders.factories import stocked
from tests.orders.returns_helpers import (
    api_client_for,
    collected_order,
    counter_sale,
    shopper,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]
HTMX = {"HTTP_HX_REQUEST": "true"}
GIFT_CARDS = (
    "A gift card is not returned nor refunded: it keeps its value, spent in any "
    "shop or online until it expires."
)
ALL_RETURNED = "Every item of this order has already been returned."


@pytest.fixture
def torino():
    return LocationFactory(code="TO01", name="Torino Porta Nuova")


@pytest.fixture
def associate(torino):
    return StaffFactory(store=torino, first_name="Luca", last_name="Verdi")


@pytest.fixture
def desk(client, associate):
    client.force_login(associate)
    return client


def search(desk, query: str) -> str:
    response = desk.get(reverse("staff:returns_desk"), {"q": query}, **HTMX)
    assert response.status_code == 200
    return response.content.decode()


def offered(page: str, number: str) -> bool:
    return reverse("staff:return_start", args=[number]) in page


def start_page(desk, number: str) -> str:
    response = desk.get(reverse("staff:return_start", args=[number]))
    assert response.status_code == 200
    return response.content.decode()


def return_all(order, *, associate, torino):
    return request_return(
        order=order.number,
        lines=[
            ReturnLineRequest(line.pk, line.quantity, "other")
            for line in order.lines.all()
        ],
        channel="store",
        actor=associate,
        location=torino,
    )


@pytest.fixture
def e_gift_order():
    """An e-gift card bought online by a signed-in customer: an order of its own,
    completed, with no order line."""
    user, _ = shopper("ada@example.com")
    send_on = (timezone.localdate() + timedelta(days=3)).isoformat()
    response = api_client_for(user).post(
        "/api/v1/gift-cards/purchase/",
        {
            "amount": "75.00",
            "country": "IT",
            "recipient_name": "Lea",
            "recipient_email": "lea@example.com",
            "send_on": send_on,
            "payment": {"method": "card_online", "token": "tok_visa"},
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    return response.json()["order"]


def test_an_order_of_gift_cards_alone_is_not_offered_for_a_return(desk, e_gift_order):
    page = search(desk, "ada@example.com")

    assert 'data-testid="customer-orders"' in page
    assert not offered(page, e_gift_order)
    assert "Start a return" not in page
    assert "No order of theirs has anything left to return." in page


def test_an_order_of_gift_cards_alone_found_by_number_says_why_not(desk, e_gift_order):
    page = search(desk, e_gift_order)

    assert 'data-testid="found-order"' in page
    assert "Start a return" not in page
    assert GIFT_CARDS in page
    assert ALL_RETURNED not in page


def test_the_start_page_of_an_order_of_gift_cards_alone_says_why_not(
    desk, e_gift_order
):
    page = start_page(desk, e_gift_order)

    assert 'data-testid="gift-cards-only"' in page
    assert GIFT_CARDS in page
    assert ALL_RETURNED not in page
    assert 'data-testid="return-form"' not in page
    window = page[page.index('data-testid="return-window"') :]
    assert "Not returnable" in window.split("</div>\n</div>")[0]
    assert "Handed over" not in window.split("</div>\n</div>")[0]


def test_an_order_all_returned_is_not_offered_and_one_with_units_left_is(
    desk, torino, associate
):
    customer = make_customer(phone="+393331234567")
    shirt, scarf = stocked(torino, 10), stocked(torino, 10)
    all_back = counter_sale(
        store=torino, lines=[(shirt, 1), (scarf, 2)], staff=associate, customer=customer
    )
    return_all(all_back, associate=associate, torino=torino)
    some_back = counter_sale(
        store=torino, lines=[(shirt, 2)], staff=associate, customer=customer
    )
    request_return(
        order=some_back.number,
        lines=[ReturnLineRequest(some_back.lines.get().pk, 1, "other")],
        channel="store",
        actor=associate,
        location=torino,
    )

    page = search(desk, customer.loyalty_number)

    assert not offered(page, all_back.number)
    assert offered(page, some_back.number)
    assert page.count("Start a return") == 1


def test_an_order_whose_return_was_cancelled_is_offered_again(desk, torino, associate):
    customer = make_customer(phone="+393331234567")
    order = counter_sale(
        store=torino,
        lines=[(stocked(torino, 10), 1)],
        staff=associate,
        customer=customer,
    )
    ret = return_all(order, associate=associate, torino=torino)
    assert not offered(search(desk, customer.loyalty_number), order.number)

    cancel_return(return_request=ret, actor=associate, reason="Kept it")

    assert offered(search(desk, customer.loyalty_number), order.number)


def test_an_order_all_returned_found_by_number_and_opened_says_so(
    desk, torino, associate
):
    order = counter_sale(
        store=torino, lines=[(stocked(torino, 10), 2)], staff=associate
    )
    ret = return_all(order, associate=associate, torino=torino)
    receive_return(return_request=ret, location=torino, actor=associate)

    found = search(desk, order.number)
    assert 'data-testid="found-order"' in found
    assert "Start a return" not in found
    assert ALL_RETURNED in found and GIFT_CARDS not in found

    page = start_page(desk, order.number)
    assert 'data-testid="all-returned"' in page
    assert ALL_RETURNED in page and GIFT_CARDS not in page


def test_an_order_of_a_voided_gift_card_says_it_holds_nothing(desk, e_gift_order):
    card = GiftCard.objects.get()
    void_gift_card(card=card, reason="Bought with a stolen card", actor=None)
    said = f"{card.masked_number} is voided: it holds nothing."

    for page in (search(desk, e_gift_order), start_page(desk, e_gift_order)):
        assert said in page
        assert GIFT_CARDS not in page and "keeps its value" not in page


def test_an_order_of_an_expired_gift_card_says_it_has_expired(desk, e_gift_order):
    card = GiftCard.objects.get()
    GiftCard.objects.update(expires_at=timezone.now() - timedelta(minutes=1))

    page = start_page(desk, e_gift_order)

    assert f"{card.masked_number} has expired." in page
    assert GIFT_CARDS not in page and "keeps its value" not in page


@pytest.fixture
def online_return(torino):
    """Ada collected two shirts in Torino and started a return of both online: the
    return is requested, nothing has come back yet."""
    user, customer = shopper("ada@example.com")
    order = collected_order(
        store=torino, lines=[(stocked(torino, 5), 2)], customer=customer
    )
    response = api_client_for(user).post(
        "/api/v1/returns/",
        {
            "order": order.number,
            "lines": [
                {"order_line": order.lines.get().pk, "quantity": 2, "reason": "too_big"}
            ],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    return order, Return.objects.get(code=response.json()["code"])


def test_an_order_all_on_a_return_not_received_names_it_until_it_is_received(
    desk, torino, associate, online_return
):
    order, ret = online_return
    link = f'href="{reverse("staff:return_detail", args=[ret.code])}"'

    for page in (search(desk, order.number), start_page(desk, order.number)):
        assert 'data-testid="awaited-returns"' in page
        assert f"{ret.code}</a> is still to be received" in page
        assert link in page
        assert ALL_RETURNED not in page
        assert 'data-testid="return-form"' not in page

    receive_return(return_request=ret, location=torino, actor=associate)

    for page in (search(desk, order.number), start_page(desk, order.number)):
        assert ALL_RETURNED in page
        assert 'data-testid="awaited-returns"' not in page


def test_the_email_search_lists_the_open_return_in_place_of_its_order(
    desk, online_return
):
    order, ret = online_return

    page = search(desk, "ada@example.com")

    assert 'data-testid="customer-returns"' in page
    assert reverse("staff:return_detail", args=[ret.code]) in page
    assert not offered(page, order.number)
    assert "What is on their open returns above is received on the return" in page
