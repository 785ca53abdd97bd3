"""The limits of a counter price and a counter discount: a cut is compared to the
limit exactly (10.02 % off is above 10 %, however it is shown), a price above the
list price waits for a manager, and no price goes above twice the list price, a
manager's own included."""

from decimal import Decimal

import pytest
from django.urls import reverse

from omnistore.approvals.models import Approval, ApprovalKind
from omnistore.approvals.services.approvals import ApprovalRequired
from omnistore.core.channels import Channel
from omnistore.core.exceptions import ValidationFailed
from orders.models import Cart, CartLine, Order
from orders.services.approvals import guard_counter_discount
from orders.services.carts import add_cart_lines, create_cart
from orders.services.counter_prices import set_counter_price
from tests.approvals.helpers import approved
from tests.factories import VariantFactory, stock
from tests.orders.till_helpers import open_counter_till

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
D = Decimal


def basket_of(store, sku: str, price: str) -> Cart:
    item = VariantFactory(sku=sku, price=D(price))
    stock(item, store, 10)
    cart = create_cart(channel=Channel.STORE)
    add_cart_lines(cart=cart, lines=[(item.pk, 1)])
    return cart


def price_line(cart: Cart, price: str, *, actor, store, approvals=()) -> CartLine:
    return set_counter_price(
        cart=cart,
        line_id=cart.lines.get().pk,
        price=price,
        reason="Display model",
        actor=actor,
        location=store,
        approvals=approvals,
    )


def test_a_cut_just_above_the_limit_asks_a_manager(store, associate):
    cart = basket_of(store, "SHIRT-WHT-M", "59.90")
    with pytest.raises(ApprovalRequired) as asked:
        price_line(cart, "53.90", actor=associate, store=store)  # 10.02 % off
    assert cart.lines.get().counter_price is None
    item = cart.lines.get().variant.name
    assert asked.value.ask.summary == (
        f"Sell {item} · SHIRT-WHT-M at 53.90 EUR instead of 59.90 (10.0% off)"
    )


def test_a_cut_of_exactly_the_limit_needs_no_one(store, associate):
    cart = basket_of(store, "SHIRT-WHT-M", "59.90")
    line = price_line(cart, "53.91", actor=associate, store=store)  # 10.00 % off
    assert line.counter_price == D("53.91")
    assert not Approval.objects.exists()


def test_a_discount_code_just_above_the_limit_asks_a_manager(store, associate):
    cart = basket_of(store, "SHIRT-WHT-M", "59.90")
    guard = {
        "cart": cart,
        "code": "STAFF",
        "subtotal": D("59.90"),
        "currency": "EUR",
        "location": store,
        "actor": associate,
    }
    assert guard_counter_discount(discount=D("11.98"), **guard) is None  # 20.00 %
    with pytest.raises(ApprovalRequired) as asked:
        guard_counter_discount(discount=D("11.99"), **guard)  # 20.02 %
    assert asked.value.ask.summary == "Discount STAFF: 11.99 EUR off 59.90 (20.0%)"


def test_a_price_above_the_list_price_waits_for_a_manager(store, associate, manager):
    cart = basket_of(store, "COAT-NAVY-M", "200.00")
    with pytest.raises(ApprovalRequired) as cut:
        price_line(cart, "150.00", actor=associate, store=store)
    yes_to_a_cut = approved(cut.value, associate, manager)
    with pytest.raises(ApprovalRequired) as asked:
        price_line(
            cart, "250.00", actor=associate, store=store, approvals=[yes_to_a_cut.pk]
        )
    assert cart.lines.get().counter_price is None
    assert asked.value.ask.kind == ApprovalKind.PRICE_OVERRIDE
    item = cart.lines.get().variant.name
    assert asked.value.ask.summary == (
        f"Sell {item} · COAT-NAVY-M at 250.00 EUR instead of 200.00 "
        "(25.0% above the list price)"
    )
    yes = approved(asked.value, associate, manager)
    with pytest.raises(ApprovalRequired):  # a higher price asks again
        price_line(cart, "260.00", actor=associate, store=store, approvals=[yes.pk])
    line = price_line(cart, "250.00", actor=associate, store=store, approvals=[yes.pk])
    assert line.counter_price == D("250.00")


def test_a_price_above_twice_the_list_price_is_refused_even_to_a_manager(
    store, associate, manager
):
    cart = basket_of(store, "COAT-NAVY-M", "200.00")
    for who in (associate, manager):
        with pytest.raises(ValidationFailed) as refused:
            price_line(cart, "400.01", actor=who, store=store)
        assert refused.value.extra == {"price": ["At most 400.00."]}
    assert cart.lines.get().counter_price is None
    assert not Approval.objects.exists()
    assert price_line(cart, "400.00", actor=manager, store=store).counter_price == D(
        "400.00"
    )


def test_with_price_approvals_off_a_raise_is_still_capped(settings, store, associate):
    settings.OMNISTORE_APPROVAL_PRICE_OVERRIDE_ABOVE_PERCENT = None
    cart = basket_of(store, "COAT-NAVY-M", "200.00")
    assert price_line(cart, "210.00", actor=associate, store=store).counter_price == D(
        "210.00"
    )
    with pytest.raises(ValidationFailed):
        price_line(cart, "99999999", actor=associate, store=store)


def test_the_sale_screen_refuses_a_price_far_above_the_list_price(
    client, store, associate
):
    item = VariantFactory(sku="TEE-BLK-S", price=D("29.90"))
    stock(item, store, 5)
    client.force_login(associate)
    open_counter_till(associate)
    client.post(reverse("staff:sale_add"), {"code": item.sku, "quantity": 3}, **HTMX)
    line = CartLine.objects.get()
    refused = client.post(
        reverse("staff:sale_line_price", args=[line.pk]),
        {"price": "99999999", "reason": "Special"},
        **HTMX,
    )
    assert refused.status_code == 422
    assert "at most 2 times the list price" in refused.content.decode()
    line.refresh_from_db()
    assert line.counter_price is None
    assert not Approval.objects.exists()
    sold = client.post(
        reverse("staff:sale_checkout"),
        {"mode": "carry_out", "method_1": "cash", "tendered": "100.00"},
        **HTMX,
    )
    assert "HX-Redirect" in sold
    assert Order.objects.get().total == D("89.70")


def test_a_refused_price_reopens_its_editor_with_what_was_typed(
    client, store, associate
):
    item = VariantFactory(sku="COAT-BLK-M", price=D("99.00"))
    stock(item, store, 5)
    client.force_login(associate)
    open_counter_till(associate)
    client.post(reverse("staff:sale_add"), {"code": item.sku}, **HTMX)
    line = CartLine.objects.get()
    refused = client.post(
        reverse("staff:sale_line_price", args=[line.pk]),
        {"price": "250.00", "reason": "Price match"},
        **HTMX,
    )
    page = refused.content.decode()
    assert refused.status_code == 422
    editor = page.split('<details class="line-edit price-change"')[1]
    editor = editor.split("</details>")[0]
    assert editor.startswith(" open>")
    assert 'name="price"' in editor and 'value="250.00"' in editor
    assert 'value="Price match"' in editor
    assert 'data-testid="price-error-COAT-BLK-M"' in editor
    assert "at most 2 times the list price" in editor
    # the refusal shows once, in the editor; the gift card form stays closed
    assert page.count("at most 2 times the list price") == 1
    assert '<details class="gift-card-sale">' in page


def test_only_a_gift_card_refusal_opens_the_gift_card_form(client, store, associate):
    client.force_login(associate)
    open_counter_till(associate)
    refused = client.post(reverse("staff:sale_add"), {"code": "NOPE-404"}, **HTMX)
    assert refused.status_code == 422
    assert '<details class="gift-card-sale">' in refused.content.decode()
    refused = client.post(
        reverse("staff:sale_gift_card_add"),
        {"number": "", "pin": "", "amount": ""},
        **HTMX,
    )
    assert refused.status_code == 422
    assert '<details class="gift-card-sale" open>' in refused.content.decode()


@pytest.mark.parametrize("typed", ["1e2", "１００", "+100", "NaN"])
def test_the_service_reads_a_typed_price_in_digits_only(store, associate, typed):
    cart = basket_of(store, "COAT-NAVY-M", "200.00")
    with pytest.raises(ValidationFailed):
        price_line(cart, typed, actor=associate, store=store)
    assert cart.lines.get().counter_price is None
