"""A discount code at the counter: the associate applies it to the sale basket (HTMX,
the amount and the total after it shown at once), takes the payment for the
discounted total, and sees why a code does not apply as a form error."""

from decimal import Decimal

import pytest
from django.urls import reverse

from inventory.models import StockLevel
from orders.models import DiscountCode, DiscountRedemption, Order, Payment
from tests.customers.factories import make_customer
from tests.factories import LocationFactory, StaffFactory, VariantFactory, stock
from tests.orders.discount_helpers import discount_code
from tests.orders.till_helpers import open_counter_till

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def shop():
    return LocationFactory(code="MI01", name="Milano Centro")


@pytest.fixture
def staff(client, shop):
    associate = StaffFactory(store=shop)
    client.force_login(associate)
    open_counter_till(associate)  # cash sales book into the open till
    return client


@pytest.fixture
def shirt(shop):
    item = VariantFactory(sku="SHIRT-BLU-M", price="40.00")
    stock(item, shop, 20)
    return item


@pytest.fixture
def belt(shop):
    item = VariantFactory(sku="BELT-BRN", price="15.50")
    stock(item, shop, 20)
    return item


def scan(client, variant, quantity=1):
    response = client.post(
        reverse("staff:sale_add"), {"code": variant.sku, "quantity": quantity}, **HTMX
    )
    assert response.status_code == 200
    return response


def apply(client, code):
    return client.post(reverse("staff:sale_discount"), {"code": code}, **HTMX)


def take_cash(client, **data):
    payload = {"mode": "carry_out", "method_1": "cash", **data}
    return client.post(reverse("staff:sale_checkout"), payload, **HTMX)


def test_applying_a_code_shows_the_discount_and_the_total_after_it(staff, shirt, belt):
    discount_code("SHOP10", "percentage", "10", channels="store")
    scan(staff, shirt)
    scan(staff, belt)

    response = apply(staff, " shop10 ")

    assert response.status_code == 200
    html = response.content.decode()
    assert '<td class="num" data-testid="basket-subtotal">55.50 EUR</td>' in html
    assert '<td class="num" data-testid="basket-discount">−5.55 EUR</td>' in html
    assert '<td class="num" data-testid="basket-total">49.95 EUR</td>' in html
    # The checkout's total follows out of band.
    assert '<strong id="checkout-total" hx-swap-oob="true">49.95 EUR</strong>' in html
    assert staff.session["sale_discount_code"] == "SHOP10"
    assert DiscountCode.objects.get().times_used == 0  # nothing held before checkout
    page = staff.get(reverse("staff:sale")).content.decode()
    assert '<strong id="checkout-total">49.95 EUR</strong>' in page


@pytest.mark.parametrize(
    ("terms", "message"),
    [
        (None, "Unknown discount code NOPE."),
        ({"channels": "online"}, "This code is valid online only."),
        ({"min_subtotal": Decimal("100")}, "at least 100.00 EUR (this one is 40.00"),
        ({"max_uses": 1, "times_used": 1}, "This code has been used up."),
    ],
)
def test_a_code_that_does_not_apply_is_a_form_error_and_is_not_kept(
    staff, shirt, terms, message
):
    if terms is not None:
        used = terms.pop("times_used", 0)
        code = discount_code("NOPE", "fixed", "5", **terms)
        DiscountCode.objects.filter(pk=code.pk).update(times_used=used)
    scan(staff, shirt)

    response = apply(staff, "nope")

    assert response.status_code == 422
    html = response.content.decode()
    assert 'data-testid="error-code"' in html
    assert message in html
    assert "sale_discount_code" not in staff.session
    assert '<strong id="checkout-total" hx-swap-oob="true">40.00 EUR</strong>' in html


def test_an_empty_code_is_a_form_error(staff, shirt):
    scan(staff, shirt)
    response = apply(staff, "  ")
    assert response.status_code == 422
    assert "Type the discount code." in response.content.decode()


def test_the_sale_is_paid_at_the_discounted_total_and_the_use_is_claimed(
    staff, shop, shirt, belt
):
    pia = make_customer(phone="333 123 4567", first_name="Pia", last_name="Moro")
    code = discount_code("SHOP10", "percentage", "10", max_uses_per_customer=1)
    scan(staff, shirt)
    scan(staff, belt)
    staff.post(
        reverse("staff:sale_customer"),
        {"kind": "phone", "value": "333 123 4567"},
        **HTMX,
    )
    apply(staff, "SHOP10")

    response = take_cash(staff)

    assert response.status_code == 200
    order = Order.objects.get()
    assert response["HX-Redirect"] == reverse("staff:sale_receipt", args=[order.number])
    assert (order.customer, order.discount_code) == (pia, "SHOP10")
    assert (order.subtotal, order.discount_total, order.total) == (
        Decimal("55.50"),
        Decimal("5.55"),
        Decimal("49.95"),
    )
    assert sum(line.discount for line in order.lines.all()) == Decimal("5.55")
    assert Payment.objects.get(order=order).amount == Decimal("49.95")
    code.refresh_from_db()
    assert code.times_used == 1
    assert DiscountRedemption.objects.get().customer == pia
    assert "sale_discount_code" not in staff.session  # the next sale starts clean
    receipt = staff.get(reverse("staff:sale_receipt", args=[order.number]))
    assert "−5.55" in receipt.content.decode()


def test_a_code_that_stops_applying_after_apply_refuses_the_sale_and_sells_nothing(
    staff, shop, shirt
):
    code = discount_code("ONCE", "fixed", "5", max_uses=1)
    scan(staff, shirt)
    apply(staff, "ONCE")
    DiscountCode.objects.filter(pk=code.pk).update(times_used=1)  # used elsewhere

    page = staff.get(reverse("staff:sale")).content.decode()
    assert 'data-testid="discount-error"' in page
    assert "This code has been used up." in page
    response = take_cash(staff)

    assert response.status_code == 422
    assert "This code has been used up." in response.content.decode()
    assert not Order.objects.exists()
    assert StockLevel.objects.get(variant=shirt, location=shop).on_hand == 20

    removed = staff.post(reverse("staff:sale_discount"), {"action": "remove"}, **HTMX)
    assert removed.status_code == 200
    assert "sale_discount_code" not in staff.session
    assert take_cash(staff).status_code == 200
    assert Order.objects.get().total == Decimal("40.00")


def test_without_htmx_a_refused_code_comes_back_as_a_message(staff, shirt):
    scan(staff, shirt)
    response = staff.post(reverse("staff:sale_discount"), {"code": "NOPE"})
    assert response.status_code == 302
    page = staff.get(response["Location"]).content.decode()
    assert "Unknown discount code NOPE." in page


@pytest.mark.parametrize("lines", [1, 6])
def test_the_sale_page_with_a_code_costs_the_same_queries_for_any_basket(
    staff, shop, django_assert_max_num_queries, lines, tax_table_kept
):
    discount_code("SHOP10", "percentage", "10")
    for index in range(lines):
        item = VariantFactory(sku=f"ITEM-{index}", price="10.00")
        stock(item, shop, 5)
        scan(staff, item)
    apply(staff, "SHOP10")
    # + the lines' pictures, and the shop's registers (a device may have to choose)
    with django_assert_max_num_queries(9):
        response = staff.get(reverse("staff:sale"))
    assert response.context["basket"]["discount"] == Decimal(lines)
