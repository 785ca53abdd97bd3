"""Price overrides and discounts at the counter: a line sold at a counter price
(beyond the limit only with a manager's yes), the order written at that price, the
same through the card terminal's kept sale, and a discount code above the limit
applied only once a manager approved it."""

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from omnistore.approvals.models import Approval, ApprovalKind, ApprovalStatus
from omnistore.approvals.services.approvals import ApprovalRequired
from omnistore.core.channels import Channel
from omnistore.core.exceptions import ValidationFailed
from orders.models import Cart, CartLine, Order
from orders.services.carts import add_cart_lines, create_cart
from orders.services.checkout import LineRequest, place_order
from orders.services.counter_prices import set_counter_price
from orders.services.payments import PaymentRequest
from orders.services.staff_sale import StaffSale
from orders.services.terminals import CounterSale
from tests.approvals.helpers import approved
from tests.factories import VariantFactory, stock
from tests.orders.discount_helpers import discount_code
from tests.orders.till_helpers import open_counter_till

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
D = Decimal


@pytest.fixture
def coat(store):
    item = VariantFactory(sku="COAT-NAVY-M", price=D("200.00"))
    stock(item, store, 10)
    return item


@pytest.fixture
def basket(coat):
    cart = create_cart(channel=Channel.STORE)
    add_cart_lines(cart=cart, lines=[(coat.pk, 1)])
    return cart


def line_of(cart: Cart) -> CartLine:
    return cart.lines.get()


def test_a_small_cut_needs_no_one_and_the_order_is_sold_at_it(
    store, associate, basket, coat
):
    line = set_counter_price(
        cart=basket,
        line_id=line_of(basket).pk,
        price="185.00",
        reason="Loose button",
        actor=associate,
        location=store,
    )
    assert line.counter_price == D("185.00")  # 7.5% off, under the 10% limit
    assert not Approval.objects.exists()
    order = place_order(
        lines=[LineRequest(coat, 1)],
        channel=Channel.STORE,
        fulfilment="carry_out",
        placing_location=store,
        staff=associate,
        payments=[PaymentRequest("card_in_store")],
        staff_sale=StaffSale(prices={coat.pk: line.counter_price}),
    )
    sold = order.lines.get()
    assert (sold.unit_price, sold.line_total, order.total) == (
        D("185.00"),
        D("185.00"),
        D("185.00"),
    )


def test_a_deep_cut_waits_for_a_manager_and_a_deeper_one_asks_again(
    store, associate, manager, basket
):
    line_id = line_of(basket).pk
    with pytest.raises(ApprovalRequired) as asked:
        set_counter_price(
            cart=basket,
            line_id=line_id,
            price="150.00",
            reason="Display model",
            actor=associate,
            location=store,
        )
    assert line_of(basket).counter_price is None
    item = line_of(basket).variant.name
    assert asked.value.ask.summary == (
        f"Sell {item} · COAT-NAVY-M at 150.00 EUR instead of 200.00 (25.0% off)"
    )
    yes = approved(asked.value, associate, manager)
    with pytest.raises(ApprovalRequired):
        set_counter_price(
            cart=basket,
            line_id=line_id,
            price="120.00",
            reason="Display model",
            actor=associate,
            location=store,
            approvals=[yes.pk],
        )
    set_counter_price(
        cart=basket,
        line_id=line_id,
        price="150.00",
        reason="Display model",
        actor=associate,
        location=store,
        approvals=[yes.pk],
    )
    assert line_of(basket).counter_price == D("150.00")
    assert Approval.objects.get(pk=yes.pk).status == ApprovalStatus.USED


def test_a_counter_price_needs_a_reason_and_a_sane_amount(store, associate, basket):
    line_id = line_of(basket).pk
    for price, reason in (("0", "x"), ("-5", "x"), ("abc", "x"), ("190", " ")):
        with pytest.raises(ValidationFailed):
            set_counter_price(
                cart=basket,
                line_id=line_id,
                price=price,
                reason=reason,
                actor=associate,
                location=store,
            )


def test_only_the_shop_and_phone_set_prices(coat):
    with pytest.raises(ValidationFailed, match="sets its own prices"):
        place_order(
            lines=[LineRequest(coat, 1)],
            channel=Channel.WEB,
            fulfilment="delivery",
            email="a@example.com",
            address={"line1": "Via Roma 1", "city": "Milano", "postcode": "20100"},
            payments=[PaymentRequest("card_online")],
            staff_sale=StaffSale(prices={coat.pk: D("1.00")}),
        )


def test_the_terminals_kept_sale_keeps_the_counter_prices(coat):
    sale = CounterSale(
        lines=[(coat.pk, 1)],
        fulfilment="carry_out",
        tenders=[("card_in_store", D("150.00"))],
        prices={coat.pk: D("150.00")},
    )
    again = CounterSale.from_json(sale.as_json())
    assert again.prices == {coat.pk: D("150.00")}
    assert again.checkout([])["staff_sale"].prices == {coat.pk: D("150.00")}


# --- the sale screen ----------------------------------------------------------------


@pytest.fixture
def desk(client, associate):
    client.force_login(associate)
    open_counter_till(associate)
    return client


def test_the_sale_screen_asks_a_manager_for_a_deep_cut_then_sells_at_it(
    desk, store, coat, manager
):
    desk.post(reverse("staff:sale_add"), {"code": coat.sku, "quantity": 1}, **HTMX)
    line = CartLine.objects.get()
    url = reverse("staff:sale_line_price", args=[line.pk])
    form = {"price": "150.00", "reason": "Display model"}
    waiting = desk.post(url, form, **HTMX)
    assert waiting.status_code == 202 and 'id="basket"' in waiting.content.decode()
    request = Approval.objects.get(kind=ApprovalKind.PRICE_OVERRIDE)
    device = Client()
    device.force_login(manager)
    device.post(
        reverse("staff:approval_decide", args=[request.pk]), {"decision": "approve"}
    )
    basket = desk.post(url, {**form, "approval": request.pk}, **HTMX)
    assert basket.status_code == 200
    assert 'data-testid="counter-price-COAT-NAVY-M"' in basket.content.decode()

    sold = desk.post(
        reverse("staff:sale_checkout"),
        {"mode": "carry_out", "method_1": "cash", "tendered": "150.00"},
        **HTMX,
    )
    assert "HX-Redirect" in sold, sold.content.decode()[:500]
    order = Order.objects.get()
    assert order.total == D("150.00")
    assert order.lines.get().unit_price == D("150.00")


def test_a_big_discount_code_at_the_counter_waits_for_a_manager(
    desk, store, coat, manager
):
    discount_code("STAFF30", "percentage", "30", channels="store")
    desk.post(reverse("staff:sale_add"), {"code": coat.sku, "quantity": 1}, **HTMX)
    waiting = desk.post(reverse("staff:sale_discount"), {"code": "STAFF30"}, **HTMX)
    assert waiting.status_code == 202
    request = Approval.objects.get(kind=ApprovalKind.DISCOUNT)
    assert request.summary == "Discount STAFF30: 60.00 EUR off 200.00 (30.0%)"
    assert "sale_discount_code" not in desk.session
    device = Client()
    device.force_login(manager)
    device.post(
        reverse("staff:approval_decide", args=[request.pk]), {"decision": "approve"}
    )
    applied = desk.post(
        reverse("staff:sale_discount"),
        {"code": "STAFF30", "approval": request.pk},
        **HTMX,
    )
    assert applied.status_code == 200
    assert 'data-testid="discount-applied"' in applied.content.decode()
    assert desk.session["sale_discount_code"] == "STAFF30"


def test_a_fixed_code_that_grows_past_the_limit_as_items_leave_asks_again(
    desk, store, coat, manager
):
    """50 off two coats is 12.5 %: no one is asked. One coat put back, the same 50
    is 25 % of the basket: checkout stops until the code is applied again, which
    asks a manager."""
    discount_code("FIFTY", "fixed", "50.00", channels="store")
    desk.post(reverse("staff:sale_add"), {"code": coat.sku, "quantity": 2}, **HTMX)
    applied = desk.post(reverse("staff:sale_discount"), {"code": "FIFTY"}, **HTMX)
    assert applied.status_code == 200
    line = CartLine.objects.get()
    desk.post(reverse("staff:sale_line", args=[line.pk]), {"quantity": 1}, **HTMX)

    refused = desk.post(
        reverse("staff:sale_checkout"),
        {"mode": "carry_out", "method_1": "cash", "tendered": "150.00"},
        **HTMX,
    )
    assert refused.status_code == 422
    assert "The code now takes 25.0% off this basket" in refused.content.decode()
    assert not Order.objects.exists()

    waiting = desk.post(reverse("staff:sale_discount"), {"code": "FIFTY"}, **HTMX)
    assert waiting.status_code == 202
    request = Approval.objects.get(kind=ApprovalKind.DISCOUNT)
    device = Client()
    device.force_login(manager)
    device.post(
        reverse("staff:approval_decide", args=[request.pk]), {"decision": "approve"}
    )
    desk.post(
        reverse("staff:sale_discount"),
        {"code": "FIFTY", "approval": request.pk},
        **HTMX,
    )
    sold = desk.post(
        reverse("staff:sale_checkout"),
        {"mode": "carry_out", "method_1": "cash", "tendered": "150.00"},
        **HTMX,
    )
    assert "HX-Redirect" in sold, sold.content.decode()[:500]
    assert Order.objects.get().total == D("150.00")


def test_an_approval_for_a_discount_on_one_basket_is_not_one_for_a_smaller_basket(
    desk, store, coat, manager
):
    """50 off a coat and a belt (220.00) is approved; sent back once the coat left
    the basket, the same approval is not taken for 50 off the belt alone."""
    discount_code("FIFTY", "fixed", "50.00", channels="store")
    belt = VariantFactory(sku="BELT-01", price=D("20.00"))
    stock(belt, store, 5)
    desk.post(reverse("staff:sale_add"), {"code": coat.sku, "quantity": 1}, **HTMX)
    desk.post(reverse("staff:sale_add"), {"code": belt.sku, "quantity": 1}, **HTMX)
    waiting = desk.post(reverse("staff:sale_discount"), {"code": "FIFTY"}, **HTMX)
    assert waiting.status_code == 202  # 50 off 220.00: 22.7 %
    request = Approval.objects.get(kind=ApprovalKind.DISCOUNT)
    device = Client()
    device.force_login(manager)
    device.post(
        reverse("staff:approval_decide", args=[request.pk]), {"decision": "approve"}
    )
    coat_line = CartLine.objects.get(variant=coat)
    desk.post(reverse("staff:sale_line", args=[coat_line.pk]), {"quantity": 0}, **HTMX)

    again = desk.post(
        reverse("staff:sale_discount"),
        {"code": "FIFTY", "approval": request.pk},
        **HTMX,
    )

    assert again.status_code == 202  # asked anew: 20.00 off 20.00 is another cut
    assert "sale_discount_code" not in desk.session
    request.refresh_from_db()
    assert request.status == ApprovalStatus.APPROVED  # not used up on this basket
