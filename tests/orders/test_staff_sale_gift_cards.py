"""Selling a physical gift card at the counter: scanned with the PIN from its strip
and an amount, paid with the rest of the sale, activated only when the sale is
placed, shown on the receipt without VAT."""

from decimal import Decimal

import pytest
from django.contrib.auth.hashers import check_password
from django.urls import reverse

from orders.models import (
    CartLine,
    DiscountCode,
    DiscountRedemption,
    GiftCard,
    Order,
    TillSession,
)
from tests.factories import LocationFactory, StaffFactory, VariantFactory, stock
from tests.orders.discount_helpers import discount_code
from tests.orders.stored_value_helpers import PIN, gift_card
from tests.orders.till_helpers import open_counter_till

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]
HTMX = {"HTTP_HX_REQUEST": "true"}
NUMBER = "6012000011112222"


@pytest.fixture
def shop():
    return LocationFactory()


@pytest.fixture
def staff(client, shop):
    associate = StaffFactory(store=shop)
    client.force_login(associate)
    open_counter_till(associate)
    return client


@pytest.fixture
def shirt(shop):
    item = VariantFactory(sku="SHIRT-GC", price="80.00")
    stock(item, shop, 5)
    return item


def add_card(client, number=NUMBER, pin="4321", amount="50.00"):
    return client.post(
        reverse("staff:sale_gift_card_add"),
        {"number": number, "pin": pin, "amount": amount},
        **HTMX,
    )


def pay(client, **data):
    payload = {"mode": "carry_out", "method_1": "cash", **data}
    return client.post(reverse("staff:sale_checkout"), payload, **HTMX)


def test_a_card_added_shows_in_the_basket_and_is_not_active_yet(staff):
    response = add_card(staff)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Gift card" in html and "•••• 2222" in html and "50.00" in html
    assert 'data-testid="basket-total">50.00' in html
    assert not GiftCard.objects.exists()
    kept = str(staff.session["sale_gift_cards"])
    assert "4321" not in kept.replace(NUMBER, "")


def test_a_card_alone_sold_for_cash_is_activated_and_on_the_till(staff):
    add_card(staff)
    response = pay(staff, tendered="60.00")
    assert response.status_code in (200, 204, 302), response.content.decode()[:1500]
    order = Order.objects.get()
    card = GiftCard.objects.get()
    assert (card.number, card.balance, card.order) == (NUMBER, Decimal("50.00"), order)
    assert check_password("4321", card.pin_hash)
    assert card.transactions.get().kind == "issue"
    assert order.total == Decimal("50.00") and order.tax_total == 0
    sale = TillSession.objects.get().movements.get(kind="sale")
    assert (sale.amount, sale.change) == (Decimal("50.00"), Decimal("10.00"))
    assert "sale_gift_cards" not in staff.session
    receipt = staff.get(reverse("staff:sale_receipt", args=[order.number]))
    text = receipt.content.decode()
    assert "Gift card •••• 2222 (no VAT)" in text


def test_a_card_with_goods_is_paid_with_them_and_only_the_goods_carry_vat(staff, shirt):
    staff.post(reverse("staff:sale_add"), {"code": shirt.sku}, **HTMX)
    add_card(staff, amount="20.00")
    pay(staff, method_1="card_in_store")
    order = Order.objects.get()
    assert order.total == Decimal("100.00")
    assert sum(t.gross for t in order.tax_totals.all()) == Decimal("80.00")
    assert order.payments.get().amount == Decimal("100.00")
    assert GiftCard.objects.get().balance == Decimal("20.00")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"number": "123"}, "16 digits"),
        ({"pin": "1"}, "4-8 digits"),
        ({"amount": "0"}, "From 5.00 to 1000.00"),
        ({"amount": "1e400"}, "Digits, such as 25.00"),
        ({"amount": "12.345"}, "two decimals"),
        ({"amount": "x"}, "Digits, such as 25.00"),
        ({"amount": "5000"}, "From 5.00 to 1000.00"),
    ],
)
def test_bad_card_input_is_a_422_with_the_reason(staff, data, message):
    response = add_card(staff, **data)
    assert response.status_code == 422
    assert message in response.content.decode()
    assert "sale_gift_cards" not in staff.session


def test_an_active_card_cannot_be_sold_again(staff):
    gift_card(number=NUMBER)
    response = add_card(staff)
    assert response.status_code == 422
    assert "already in use" in response.content.decode()


def test_a_card_cannot_be_paid_with_a_gift_card(staff):
    old = gift_card("100.00", number="6012999988887777")
    add_card(staff)
    response = pay(
        staff,
        gift_card_number=old.number,
        gift_card_pin=PIN,
        gift_card_amount="50.00",
    )
    assert response.status_code == 422
    assert "not with another gift card" in response.content.decode()
    assert GiftCard.objects.count() == 1 and not Order.objects.exists()


def test_a_card_taken_back_out_is_not_sold(staff, shirt):
    staff.post(reverse("staff:sale_add"), {"code": shirt.sku}, **HTMX)
    add_card(staff)
    response = staff.post(reverse("staff:sale_gift_card_remove", args=[0]), **HTMX)
    assert response.status_code == 200 and "•••• 2222" not in response.content.decode()
    assert (
        staff.post(reverse("staff:sale_gift_card_remove", args=[3]), **HTMX).status_code
        == 404
    )
    pay(staff)
    assert Order.objects.get().total == Decimal("80.00")
    assert not GiftCard.objects.exists()


def test_a_parked_sale_keeps_its_gift_card(staff):
    add_card(staff)
    staff.post(reverse("staff:sale_park"))
    assert "sale_gift_cards" not in staff.session
    staff.post(reverse("staff:sale_resume", args=[0]))
    assert len(staff.session["sale_gift_cards"]) == 1


def test_a_card_alone_counts_as_an_item_and_the_sale_can_be_parked_or_cleared(staff):
    html = add_card(staff).content.decode()
    assert '<td colspan="2">1 item</td>' in html
    assert 'data-testid="park-sale"' in html and "New sale" in html
    html = add_card(staff, number="6012000011113333").content.decode()
    assert '<td colspan="2">2 items</td>' in html

    staff.post(reverse("staff:sale_park"))
    assert "sale_gift_cards" not in staff.session  # parked with the sale
    html = staff.get(reverse("staff:sale")).content.decode()
    assert 'data-testid="park-sale"' not in html

    staff.post(reverse("staff:sale_resume", args=[0]))
    assert len(staff.session["sale_gift_cards"]) == 2  # back with the sale
    html = staff.post(reverse("staff:sale_gift_card_remove", args=[1]), **HTMX)
    html = staff.post(reverse("staff:sale_gift_card_remove", args=[0]), **HTMX)
    assert 'data-testid="park-sale"' not in html.content.decode()


def test_a_code_left_on_a_basket_of_gift_cards_alone_is_not_used(staff, shirt):
    """The shirt the code took 10 % off goes back; the basket, a gift card alone,
    no longer shows the code, and the sale does not spend one of its uses."""
    discount_code("LAST2", "percentage", "10", max_uses=2, channels="store")
    staff.post(reverse("staff:sale_add"), {"code": shirt.sku}, **HTMX)
    add_card(staff)
    staff.post(reverse("staff:sale_discount"), {"code": "LAST2"}, **HTMX)
    line = CartLine.objects.get()
    html = staff.post(
        reverse("staff:sale_line", args=[line.pk]), {"quantity": 0}, **HTMX
    )
    assert "LAST2" not in html.content.decode()

    response = pay(staff, tendered="50.00")

    assert "HX-Redirect" in response, response.content.decode()[:500]
    order = Order.objects.get()
    assert (order.total, order.discount_total, order.discount_code) == (
        Decimal("50.00"),
        Decimal("0.00"),
        "",
    )
    assert DiscountCode.objects.get(code="LAST2").times_used == 0
    assert not DiscountRedemption.objects.exists()


def test_a_per_customer_code_out_of_sight_does_not_stop_a_gift_card_sale(staff):
    discount_code("ONCE15", "percentage", "15", max_uses_per_customer=1)
    add_card(staff)
    staff.post(reverse("staff:sale_discount"), {"code": "ONCE15"}, **HTMX)

    response = pay(staff, tendered="50.00")

    assert "HX-Redirect" in response, response.content.decode()[:500]
    assert Order.objects.get().discount_code == ""
    assert not DiscountRedemption.objects.exists()
