"""A gift card an order sold is no order line, yet the order's page, its API detail
and its admin page list it beside the lines, so what the order sold adds up to its
total: a card sold at the counter with an item, an e-gift card bought online alone.
Only the last four digits of a card's number are shown, never the number or the
PIN."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from omnistore.accounts.models import Role
from orders.models import GiftCard, Order
from orders.services.checkout import place_order
from orders.services.egift import send_due_e_gift_cards
from orders.services.giftcards import void_gift_card
from tests.factories import (
    LocationFactory,
    StaffFactory,
    UserFactory,
    VariantFactory,
    stock,
)
from tests.orders.factories import CARD
from tests.orders.returns_helpers import api_client_for, shopper
from tests.orders.till_helpers import open_counter_till

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]
HTMX = {"HTTP_HX_REQUEST": "true"}
NUMBER = "6012000044441233"
PIN = "4321"


@pytest.fixture
def shop():
    return LocationFactory()


@pytest.fixture
def associate(client, shop):
    user = StaffFactory(store=shop)
    client.force_login(user)
    open_counter_till(user)
    return client


@pytest.fixture
def counter_sale(associate, shop):
    """At the Sale screen: an item scanned (29.90), a gift card sold (25.00), paid
    in cash."""
    item = VariantFactory(sku="TEE-GC", product__name="Tee", price="29.90")
    stock(item, shop, 5)
    associate.post(reverse("staff:sale_add"), {"code": item.sku}, **HTMX)
    associate.post(
        reverse("staff:sale_gift_card_add"),
        {"number": NUMBER, "pin": PIN, "amount": "25.00"},
        **HTMX,
    )
    paid = associate.post(
        reverse("staff:sale_checkout"),
        {"mode": "carry_out", "method_1": "cash", "tendered": "60.00"},
        **HTMX,
    )
    assert paid.status_code in (200, 204, 302), paid.content.decode()[:1000]
    return Order.objects.get()


@pytest.fixture
def e_gift():
    """An e-gift card of 50.00 for Lea bought online by a signed-in customer."""
    user, _ = shopper("ada@example.com")
    client = api_client_for(user)
    send_on = timezone.localdate() + timedelta(days=3)
    response = client.post(
        "/api/v1/gift-cards/purchase/",
        {
            "amount": "50.00",
            "country": "IT",
            "recipient_name": "Lea",
            "recipient_email": "lea@example.com",
            "message": "Happy birthday",
            "send_on": send_on.isoformat(),
            "payment": {"method": "card_online", "token": "tok_visa"},
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    client.order = Order.objects.get(number=response.json()["order"])
    client.send_on = send_on
    return client


def order_page(client, order) -> str:
    response = client.get(reverse("staff:order_detail", args=[order.number]))
    assert response.status_code == 200
    return response.content.decode()


def test_the_order_page_lists_the_card_a_counter_sale_sold_beside_its_item(
    associate, counter_sale
):
    page = order_page(associate, counter_sale)
    card = GiftCard.objects.get()
    assert page.count('data-testid="gift-card-sold"') == 1
    assert "Gift card</strong> •••• 1233" in page
    assert f'data-testid="gift-card-amount">25.00 {card.currency}<' in page
    assert "<td>Tee (Blue / M)</td>" in page and "29.90" in page
    assert f'data-testid="order-total">54.90 {counter_sale.currency}<' in page
    assert NUMBER not in page and card.pin_hash not in page
    assert 'data-testid="gift-card-status"' not in page  # active: nothing to say
    assert 'data-testid="gift-cards-only"' not in page


def test_the_order_page_says_a_card_it_sold_is_void(associate, counter_sale):
    void_gift_card(card=GiftCard.objects.get(), reason="Sold by mistake", actor=None)
    page = order_page(associate, counter_sale)
    assert 'data-testid="gift-card-status">Void<' in page


def test_the_api_detail_of_an_e_gift_order_lists_its_card_and_adds_up(e_gift):
    order, card = e_gift.order, GiftCard.objects.get()
    response = e_gift.get(f"/api/v1/orders/{order.number}/")
    assert response.status_code == 200
    data = response.json()
    assert data["lines"] == []
    assert data["gift_cards"] == [
        {
            "last4": card.number[-4:],
            "amount": "50.00",
            "currency": order.currency,
            "kind": "digital",
            "recipient_name": "Lea",
            "send_on": e_gift.send_on.isoformat(),
            "status": "active",
        }
    ]
    sold = sum(Decimal(row["amount"]) for row in data["gift_cards"])
    goods = sum(Decimal(line["line_total"]) for line in data["lines"])
    assert goods + sold + Decimal(data["delivery_fee"]) == Decimal(data["total"])
    assert card.number not in response.content.decode()


def void_in_the_admin(client, card):
    """Headquarters void the card in the admin, with a reason."""
    client.force_login(UserFactory(role=Role.HQ, is_staff=True, is_superuser=True))
    response = client.post(
        reverse("admin:orders_giftcard_changelist"),
        {
            "action": "void_cards",
            "_selected_action": [card.pk],
            "reason": "Fraud",
            "confirm": "yes",
        },
        follow=True,
    )
    assert "1 gift card(s) changed." in response.content.decode()
    card.refresh_from_db()
    assert card.status == "void"


def test_an_e_gift_card_voided_before_its_day_is_not_said_to_be_emailed(
    client, shop, e_gift
):
    card = GiftCard.objects.get()
    to_be_emailed = f"to be emailed on {e_gift.send_on.strftime('%d %b %Y')}"
    client.force_login(StaffFactory(store=shop))
    assert to_be_emailed in order_page(client, e_gift.order)

    void_in_the_admin(client, card)

    client.force_login(StaffFactory(store=shop))
    page = order_page(client, e_gift.order)
    assert 'data-testid="gift-card-status">Void<' in page
    assert "to be emailed" not in page and "for Lea" in page
    data = e_gift.get(f"/api/v1/orders/{e_gift.order.number}/").json()
    assert [row["status"] for row in data["gift_cards"]] == ["void"]


def test_an_e_gift_card_sent_says_when_it_was_emailed(client, shop, e_gift):
    sent_at = timezone.now() + timedelta(days=3)
    assert send_due_e_gift_cards(now=sent_at) == [GiftCard.objects.get().pk]
    client.force_login(StaffFactory(store=shop))

    page = order_page(client, e_gift.order)

    assert f"emailed on {timezone.localdate(sent_at).strftime('%d %b %Y')}" in page
    assert "to be emailed" not in page


def test_the_api_says_a_card_past_its_date_is_expired(e_gift):
    GiftCard.objects.update(expires_at=timezone.now() - timedelta(minutes=1))

    data = e_gift.get(f"/api/v1/orders/{e_gift.order.number}/").json()

    assert [row["status"] for row in data["gift_cards"]] == ["expired"]


def test_the_schema_lists_the_status_a_card_sold_may_have(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    components = schema["components"]["schemas"]
    status = components["GiftCardSoldOutput"]["properties"]["status"]
    (ref,) = [part["$ref"] for part in status["allOf"]]
    assert set(components[ref.rsplit("/", 1)[-1]]["enum"]) == {
        "active",
        "void",
        "expired",
    }
    assert "`void` (voided: it holds nothing" in status["description"]


def test_the_api_detail_of_an_order_of_goods_lists_no_card(shop):
    user, customer = shopper("bea@example.com")
    item = VariantFactory(price="12.00")
    stock(item, shop, 2)
    order = place_order(
        lines=[(item, 1)],
        channel="web",
        fulfilment="pickup",
        pickup_store=shop,
        customer=customer,
        payments=CARD,
    )
    data = api_client_for(user).get(f"/api/v1/orders/{order.number}/").json()
    assert data["gift_cards"] == [] and len(data["lines"]) == 1


def test_the_order_page_of_an_e_gift_card_says_it_sold_a_card_alone(
    client, shop, e_gift
):
    client.force_login(StaffFactory(store=shop))
    page = order_page(client, e_gift.order)
    assert 'data-testid="gift-cards-only"' in page
    assert "E-gift card</strong> •••• " in page and "for Lea" in page
    assert e_gift.send_on.strftime("%d %b %Y") in page
    assert 'data-testid="nothing-to-fulfil"' in page
    assert 'data-testid="fulfilments"' not in page
    assert GiftCard.objects.get().number not in page


def test_the_admin_order_page_shows_the_masked_card_never_its_number_or_pin(
    client, counter_sale
):
    hq = UserFactory(role=Role.HQ, is_staff=True, is_superuser=True)
    client.force_login(hq)
    card = GiftCard.objects.get()
    response = client.get(reverse("admin:orders_order_change", args=[counter_sale.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Gift cards sold" in page
    assert "•••• 1233" in page and "25.00" in page
    assert NUMBER not in page and card.pin_hash not in page


def test_the_cards_an_order_sold_cost_its_pages_one_query_at_most(
    client, shop, e_gift, django_assert_max_num_queries
):
    """The pins of an order's API detail (9) and staff page (14), and one query for
    its cards; an order of goods alone reads none."""
    with django_assert_max_num_queries(9 + 1):
        response = e_gift.get(f"/api/v1/orders/{e_gift.order.number}/")
    assert len(response.json()["gift_cards"]) == 1
    client.force_login(StaffFactory(store=shop))
    order_page(client, e_gift.order)  # a session's first request notes its time
    with django_assert_max_num_queries(14 + 1):
        page = order_page(client, e_gift.order)
    assert page.count('data-testid="gift-card-sold"') == 1
