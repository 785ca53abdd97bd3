"""Erasing a customer's data blanks why a price was set at the counter on their
order's lines, as it does on the basket's line and the approval: the order line
keeps its prices and the shelf price, the order's history keeps what the code wrote
(the item, the prices, who approved) and loses only the reason typed."""

from decimal import Decimal

import pytest

from customers.privacy import ERASED_TEXT
from customers.services.erasure import erase_customer
from omnistore.approvals.services.approvals import ApprovalRequired, decide_approval
from omnistore.core.channels import Channel
from orders.services.carts import add_cart_lines, create_cart
from orders.services.checkout import LineRequest, place_order
from orders.services.counter_prices import set_counter_price
from orders.services.payments import PaymentRequest
from orders.services.staff_sale import StaffSale
from tests.approvals.helpers import ask, make_approver
from tests.customers.factories import make_customer
from tests.factories import StaffFactory
from tests.orders.factories import shop, stocked

pytestmark = pytest.mark.django_db
D = Decimal


def test_the_reason_for_a_counter_price_on_the_persons_order_goes_the_rest_stays():
    store = shop(code="MI01", name="Milano Centro")
    associate = StaffFactory(store=store, first_name="Giulia", last_name="Bianchi")
    manager = make_approver(
        StaffFactory(store=store, first_name="Marco", last_name="Rossi")
    )
    erin = make_customer(email="erin@example.com", first_name="Erin", last_name="Dal")
    shirt = stocked(store, 3, price="59.90", sku="WSH-00001-SND-S")
    cart = create_cart(channel=Channel.STORE)
    line = add_cart_lines(cart=cart, lines=[(shirt.pk, 1)])[0]

    def set_price(approvals=()):
        set_counter_price(
            cart=cart,
            line_id=line.pk,
            price="45.00",
            reason="Erin's stain on the sleeve",
            actor=associate,
            location=store,
            approvals=approvals,
        )

    with pytest.raises(ApprovalRequired) as asked:
        set_price()
    yes = decide_approval(
        approval=ask(asked.value, associate), approver=manager, approve=True
    )
    set_price([yes.pk])
    order = place_order(
        lines=[LineRequest(shirt, 1)],
        channel=Channel.STORE,
        fulfilment="carry_out",
        placing_location=store,
        staff=associate,
        customer=erin,
        payments=[PaymentRequest("card_in_store")],
        staff_sale=StaffSale(prices={shirt.pk: D("45.00")}),
        cart=cart,
    )
    assert order.lines.get().price_reason == "Erin's stain on the sleeve"

    erase_customer(customer=erin, reason="Ticket GDPR-4", forfeit_balance=True)

    sold = order.lines.get()
    assert (sold.unit_price, sold.shelf_price, sold.price_reason) == (
        D("45.00"),
        D("59.90"),
        ERASED_TEXT,
    )
    assert sold.price_approval_id == yes.pk
    assert [step.note for step in order.history.order_by("id")] == [
        "Placed via Store",
        "Price set at the counter: WSH-00001-SND-S 45.00 instead of 59.90 EUR: "
        f"{ERASED_TEXT} · approved by Marco Rossi",
    ]
