"""The returns desk says before anything is sent what a refund to the original
payment does with a gift card that takes no refund any more (void, or past its
date), as the refund will do it: its share goes back as the customer's store
credit, said beside *Original payment method*; where store credit cannot take it
either (a walk-in sale has no profile), the desk says no shop can refund it, and
why, instead of offering a refund refused after the confirm."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone

from customers.models import Channel
from orders.models import GiftCard, PaymentMethod, ReturnStatus
from orders.services.checkout import LineRequest, place_order
from orders.services.fulfilment import mark_picked, mark_ready
from orders.services.giftcards import void_gift_card
from orders.services.payments import PaymentRequest
from orders.services.pickups import collect_order
from orders.services.refunds import return_at_counter
from orders.services.returns import ReturnLineRequest, request_return
from tests.factories import StaffFactory
from tests.orders.factories import shop, stocked
from tests.orders.returns_helpers import shopper
from tests.orders.stored_value_helpers import PIN, credit_of, gift_card

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]

NOWHERE = "Paid by a gift card that takes no refund: no shop can refund it."


@pytest.fixture(autouse=True)
def _no_refund_approvals(settings):
    settings.OMNISTORE_APPROVAL_REFUND_ABOVE = None


@pytest.fixture
def store():
    return shop(code="MI01", name="Milano Duomo")


@pytest.fixture
def desk(client, store):
    client.force_login(StaffFactory(store=store))
    return client


def by_gift_card(card: GiftCard, amount: str) -> PaymentRequest:
    return PaymentRequest(
        method=PaymentMethod.GIFT_CARD,
        card_number=card.number,
        pin=PIN,
        amount=Decimal(amount),
    )


def walk_in_sale(store, payments):
    """A 50.00 item sold at ``store``'s counter to nobody known."""
    return place_order(
        lines=[LineRequest(stocked(store, 2, price="50.00"), 1)],
        channel=Channel.STORE,
        fulfilment="carry_out",
        placing_location=store,
        staff=StaffFactory(store=store),
        payments=payments,
    )


def refund_choices(html: str) -> dict[str, str]:
    """The refund method radios on the page: value → the input tag."""
    tags = re.findall(r'<input[^>]*name="refund_method"[^>]*>', html)
    return {re.search(r'value="([^"]+)"', tag).group(1): tag for tag in tags}


def offered(tag: str) -> bool:
    return " disabled" not in tag


def test_a_walk_in_sale_paid_by_a_voided_gift_card_says_no_shop_can_refund_it(
    desk, store
):
    card = gift_card("50.00")
    sale = walk_in_sale(store, [by_gift_card(card, "50.00")])
    void_gift_card(card=card, reason="Reported stolen", actor=None)

    page = desk.get(reverse("staff:return_start", args=[sale.number]))

    html = unescape(page.content.decode())
    assert 'data-testid="given-up"' in html
    assert (
        f"What is left of this order was paid with the gift card "
        f"{card.masked_number}, which is void: nothing can go back to it, and the "
        "order has no customer profile to hold store credit, so no return of it can "
        "be taken." in html
    )
    assert refund_choices(html) == {}
    assert 'data-testid="receive-and-refund"' not in html


def test_a_received_return_reaching_a_voided_gift_card_says_so_before_the_refund(
    desk, store
):
    """Paid 20.00 by card and 30.00 by the gift card: the 50.00 refund reaches the
    card, voided after the return was received."""
    card = gift_card("30.00")
    sale = walk_in_sale(
        store,
        [
            by_gift_card(card, "30.00"),
            PaymentRequest(method=PaymentMethod.CARD_IN_STORE),
        ],
    )
    clerk = StaffFactory(store=store)
    ret = return_at_counter(
        order=sale.number,
        lines=[ReturnLineRequest(sale.lines.get().pk, 1, "changed_mind")],
        location=store,
        actor=clerk,
        refund_now=False,
    )
    void_gift_card(card=card, reason="Reported stolen", actor=None)

    page = desk.get(reverse("staff:return_detail", args=[ret.code]))

    html = page.content.decode()
    assert NOWHERE in html
    assert (
        f"Paid by gift card {card.masked_number}, which is void: it takes no "
        "refund, and the order has no customer profile to hold store credit." in html
    )
    assert refund_choices(html) == {}
    assert 'data-testid="refund"' not in html


def test_a_customer_return_reaching_an_expired_gift_card_says_it_goes_to_store_credit(
    desk, store
):
    """The refund gives what the expired card paid as store credit: the desk offers
    the original payment and says so, and the refund does just that."""
    _, customer = shopper()
    card = gift_card("40.00")
    order = place_order(
        lines=[LineRequest(stocked(store, 2, price="40.00"), 1)],
        channel=Channel.WEB,
        fulfilment="pickup",
        pickup_store=store,
        customer=customer,
        payments=[by_gift_card(card, "40.00")],
    )
    mark_picked(order=order)
    order = mark_ready(order=order)
    collect_order(order=order, code=order.pickup_code, location=store, actor=None)
    ret = request_return(
        order=order.number,
        customer=customer,
        channel="web",
        lines=[ReturnLineRequest(order.lines.get().pk, 1, "too_small")],
    )
    GiftCard.objects.filter(pk=card.pk).update(
        expires_at=timezone.now() - timedelta(days=1)
    )
    card.refresh_from_db()
    expired_on = f"{timezone.localdate(card.expires_at):%Y-%m-%d}"

    page = desk.get(reverse("staff:return_detail", args=[ret.code]))

    html = page.content.decode()
    choices = refund_choices(html)
    assert offered(choices["original"]) and " checked" in choices["original"]
    assert (
        f"Paid by gift card {card.masked_number}, which expired on {expired_on}: "
        "its 40.00 EUR go back as store credit instead." in html
    )
    line = ret.lines.get()
    response = desk.post(
        reverse("staff:return_receive", args=[ret.code]),
        {
            f"condition_{line.pk}": "sellable",
            f"disposition_{line.pk}": "",
            "refund_method": "original",
            "action": "refund",
        },
    )
    assert response.status_code == 302
    ret.refresh_from_db()
    assert ret.status == ReturnStatus.REFUNDED
    assert credit_of(customer) == Decimal("40.00")
