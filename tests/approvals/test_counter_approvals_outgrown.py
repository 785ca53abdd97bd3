"""A manager's yes at the counter covers what the manager was shown: the amount a
discount code took off the basket then, the units a counter price was set on. A
basket grown past it (items added under a percentage code, units added to a line
sold at a counter price) is stopped at checkout with the reason, and applying the
code or setting the price again asks a manager for what the basket is now."""

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from omnistore.approvals.models import Approval, ApprovalKind, ApprovalStatus
from orders.models import CartLine, DiscountCode, Order
from tests.factories import VariantFactory, stock
from tests.orders.discount_helpers import discount_code
from tests.orders.till_helpers import open_counter_till

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
D = Decimal


@pytest.fixture
def desk(client, associate):
    client.force_login(associate)
    open_counter_till(associate)
    return client


@pytest.fixture
def socks(store):
    item = VariantFactory(sku="SOCKS-NVY-39", price=D("14.90"))
    stock(item, store, 10)
    return item


@pytest.fixture
def coat(store):
    item = VariantFactory(sku="COAT-CML-L", price=D("189.00"))
    stock(item, store, 10)
    return item


def scan(desk, item, units=1):
    desk.post(reverse("staff:sale_add"), {"code": item.sku, "quantity": units}, **HTMX)


def manager_says_yes(manager, kind) -> Approval:
    request = Approval.objects.filter(kind=kind, status=ApprovalStatus.PENDING).get()
    device = Client()
    device.force_login(manager)
    device.post(
        reverse("staff:approval_decide", args=[request.pk]), {"decision": "approve"}
    )
    return request


def pay_cash(desk, tendered):
    return desk.post(
        reverse("staff:sale_checkout"),
        {"mode": "carry_out", "method_1": "cash", "tendered": tendered},
        **HTMX,
    )


def apply_code(desk, manager, code):
    """The code applied, a manager asked and saying yes, the code sent again."""
    assert desk.post(reverse("staff:sale_discount"), {"code": code}, **HTMX).status_code
    request = manager_says_yes(manager, ApprovalKind.DISCOUNT)
    applied = desk.post(
        reverse("staff:sale_discount"), {"code": code, "approval": request.pk}, **HTMX
    )
    assert applied.status_code == 200
    return request


def set_price(desk, manager, line, price):
    url = reverse("staff:sale_line_price", args=[line.pk])
    form = {"price": price, "reason": "Display piece"}
    assert desk.post(url, form, **HTMX).status_code == 202
    request = manager_says_yes(manager, ApprovalKind.PRICE_OVERRIDE)
    assert desk.post(url, {**form, "approval": request.pk}, **HTMX).status_code == 200
    return request


def test_items_added_under_an_approved_percentage_code_ask_the_manager_again(
    desk, manager, socks, coat
):
    """40 % off the socks is approved as 5.96 off 14.90. With a coat added the
    code would take 81.56: checkout stops until a manager approves that."""
    discount_code("PCT40", "percentage", "40", channels="store")
    scan(desk, socks)
    first = apply_code(desk, manager, "PCT40")
    assert first.summary == "Discount PCT40: 5.96 EUR off 14.90 (40.0%)"
    scan(desk, coat)

    refused = pay_cash(desk, "122.34")

    assert refused.status_code == 422
    assert (
        "The code now takes 81.56 EUR off this basket, more than the 5.96 EUR it "
        "took when applied: apply it again for a manager&#x27;s approval."
    ) in refused.content.decode()
    assert not Order.objects.exists()
    assert DiscountCode.objects.get(code="PCT40").times_used == 0

    again = apply_code(desk, manager, "PCT40")
    assert again.summary == "Discount PCT40: 81.56 EUR off 203.90 (40.0%)"
    sold = pay_cash(desk, "122.34")
    assert "HX-Redirect" in sold, sold.content.decode()[:500]
    order = Order.objects.get()
    assert (order.discount_total, order.total) == (D("81.56"), D("122.34"))


def test_an_approved_code_still_sells_once_items_leave_the_basket(desk, manager, socks):
    discount_code("PCT40", "percentage", "40", channels="store")
    scan(desk, socks, 2)
    apply_code(desk, manager, "PCT40")  # 11.92 off 29.80
    line = CartLine.objects.get()
    desk.post(reverse("staff:sale_line", args=[line.pk]), {"quantity": 1}, **HTMX)

    sold = pay_cash(desk, "8.94")

    assert "HX-Redirect" in sold, sold.content.decode()[:500]
    assert Order.objects.get().discount_total == D("5.96")


def test_units_added_to_a_line_at_an_approved_price_ask_the_manager_again(
    desk, manager, coat
):
    """100.00 instead of 189.00 is approved for one coat (89.00 off). Raised to five
    coats the cut is 445.00: checkout stops; set again, the manager is asked for
    the five."""
    scan(desk, coat)
    line = CartLine.objects.get()
    first = set_price(desk, manager, line, "100.00")
    assert first.amount == D("89.00")
    desk.post(reverse("staff:sale_line", args=[line.pk]), {"quantity": 5}, **HTMX)

    refused = pay_cash(desk, "500.00")

    assert refused.status_code == 422
    assert (
        "The price of COAT-CML-L (100.00 EUR) was approved for 89.00 EUR off; 5 "
        "units make it 445.00 EUR: set the price again for a manager&#x27;s approval."
    ) in refused.content.decode()
    assert not Order.objects.exists()

    again = set_price(desk, manager, line, "100.00")
    assert again.summary == (
        f"Sell 5 × {coat.name} · COAT-CML-L at 100.00 EUR instead of 189.00 "
        "(47.1% off, 445.00 EUR off in all)"
    )
    assert again.amount == D("445.00")
    sold = pay_cash(desk, "500.00")
    assert "HX-Redirect" in sold, sold.content.decode()[:500]
    order = Order.objects.get()
    assert (order.lines.get().quantity, order.total) == (5, D("500.00"))


def test_fewer_units_than_approved_at_a_counter_price_still_sell(desk, manager, coat):
    scan(desk, coat, 2)
    line = CartLine.objects.get()
    set_price(desk, manager, line, "100.00")  # 178.00 off two coats
    desk.post(reverse("staff:sale_line", args=[line.pk]), {"quantity": 1}, **HTMX)

    sold = pay_cash(desk, "100.00")

    assert "HX-Redirect" in sold, sold.content.decode()[:500]
    assert Order.objects.get().total == D("100.00")


def test_a_manager_selling_raises_the_units_without_asking(
    client, store, manager, coat
):
    client.force_login(manager)
    open_counter_till(manager)
    scan(client, coat)
    line = CartLine.objects.get()
    url = reverse("staff:sale_line_price", args=[line.pk])
    client.post(url, {"price": "100.00", "reason": "Display piece"}, **HTMX)
    client.post(reverse("staff:sale_line", args=[line.pk]), {"quantity": 3}, **HTMX)

    sold = pay_cash(client, "300.00")

    assert "HX-Redirect" in sold, sold.content.decode()[:500]
    assert Order.objects.get().total == D("300.00")
