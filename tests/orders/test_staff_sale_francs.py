"""A counter sale at a Swiss shop is in francs throughout: the basket shows the
franc shelf price, a counter price is measured against it (the limit, the 2×
ceiling and what the manager reads), and a discount code in euros is refused when
it is applied, as checkout would refuse it."""

from decimal import Decimal

import pytest
from django.urls import reverse

from inventory.models import PriceList, PriceListPrice
from omnistore.approvals.models import Approval, ApprovalKind
from omnistore.core.channels import Channel
from omnistore.core.exceptions import ValidationFailed
from orders.models import CartLine, Order
from orders.services.carts import add_cart_lines, create_cart
from orders.services.counter_prices import set_counter_price
from tests.factories import StaffFactory
from tests.orders.discount_helpers import discount_code
from tests.orders.factories import shop, stocked
from tests.orders.till_helpers import open_counter_till

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
D = Decimal


@pytest.fixture
def zurich():
    return shop(code="ZH01", country="CH", city="Zürich")


@pytest.fixture
def coat(zurich):
    """189.00 EUR in the catalogue, 198.45 CHF on the Swiss price list."""
    item = stocked(zurich, 10, price="189.00", sku="COAT-CML-XS")
    PriceListPrice.objects.create(
        price_list=PriceList.objects.get(code="CHF"), variant=item, price=D("198.45")
    )
    return item


@pytest.fixture
def clerk(zurich):
    return StaffFactory(store=zurich)


@pytest.fixture
def desk(client, clerk):
    client.force_login(clerk)
    open_counter_till(clerk)
    return client


def scan(desk, item):
    return desk.post(reverse("staff:sale_add"), {"code": item.sku}, **HTMX)


def line_price(html: str) -> str:
    return html.split('class="num line-price" data-label="Price">')[1].split("</td>")[0]


def test_the_basket_shows_the_franc_shelf_price(desk, coat):
    html = scan(desk, coat).content.decode()
    assert line_price(html) == "198.45"
    assert 'data-testid="basket-total">198.45 CHF' in html


def test_a_cut_beyond_the_limit_in_francs_asks_a_manager_in_francs(desk, coat):
    """171.00 is 13.8 % under 198.45 (the limit is 10 %); 189.00, the euro price,
    does not come into it."""
    scan(desk, coat)
    line = CartLine.objects.get()
    url = reverse("staff:sale_line_price", args=[line.pk])

    waiting = desk.post(url, {"price": "171.00", "reason": "Display piece"}, **HTMX)

    assert waiting.status_code == 202
    asked = Approval.objects.get(kind=ApprovalKind.PRICE_OVERRIDE)
    assert asked.summary == (
        f"Sell {coat.name} · COAT-CML-XS at 171.00 CHF instead of 198.45 (13.8% off)"
    )
    assert (asked.amount, asked.currency) == (D("27.45"), "CHF")
    line.refresh_from_db()
    assert line.counter_price is None


def test_a_small_cut_in_francs_is_a_cut_not_a_raise(desk, coat):
    scan(desk, coat)
    line = CartLine.objects.get()
    url = reverse("staff:sale_line_price", args=[line.pk])

    basket = desk.post(url, {"price": "195.00", "reason": "Loose button"}, **HTMX)

    assert basket.status_code == 200  # 1.7 % off: no one is asked
    assert not Approval.objects.exists()
    html = basket.content.decode()
    assert '<s class="muted">198.45</s>' in line_price(html)
    sold = desk.post(
        reverse("staff:sale_checkout"),
        {"mode": "carry_out", "method_1": "cash", "tendered": "200.00"},
        **HTMX,
    )
    assert "HX-Redirect" in sold, sold.content.decode()[:500]
    order = Order.objects.get()
    assert (order.currency, order.total) == ("CHF", D("195.00"))


def test_the_ceiling_is_twice_the_franc_shelf_price(zurich, coat, clerk):
    cart = create_cart(channel=Channel.STORE)
    add_cart_lines(cart=cart, lines=[(coat.pk, 1)])
    line = cart.lines.get()
    with pytest.raises(ValidationFailed) as refused:
        set_counter_price(
            cart=cart,
            line_id=line.pk,
            price="396.91",
            reason="Special",
            actor=clerk,
            location=zurich,
        )
    assert refused.value.extra == {"price": ["At most 396.90."]}
    assert "(198.45 CHF)" in refused.value.message


def test_a_euro_code_is_refused_when_applied_to_a_franc_basket(desk, coat):
    discount_code("FIX20", "fixed", "20.00", channels="store")
    scan(desk, coat)

    refused = desk.post(reverse("staff:sale_discount"), {"code": "FIX20"}, **HTMX)

    assert refused.status_code == 422
    html = refused.content.decode()
    assert "This code is for orders in EUR; this one is in CHF." in html
    assert 'data-testid="discount-applied"' not in html
    assert "sale_discount_code" not in desk.session


def test_a_percentage_code_applies_in_francs(desk, coat):
    discount_code("PCT10", "percentage", "10", channels="store")
    scan(desk, coat)

    applied = desk.post(reverse("staff:sale_discount"), {"code": "PCT10"}, **HTMX)

    assert applied.status_code == 200
    assert 'data-testid="basket-discount">−19.85 CHF' in applied.content.decode()
