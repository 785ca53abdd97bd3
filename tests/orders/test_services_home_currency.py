"""Store credit and discount codes are in the home currency: a sale or a return in
francs at a Swiss shop does not spend, earn or take them off one for one."""

from decimal import Decimal

import pytest

from inventory.models import PriceList, PriceListPrice
from omnistore.core.exceptions import ValidationFailed
from orders.models import Order, PaymentMethod, Refund, RefundMethod, Return
from orders.selectors.till import expected_cash
from orders.services.refunds import return_at_counter
from orders.services.returns import ReturnLineRequest
from orders.services.till import TillBooking
from tests.customers.factories import make_customer
from tests.factories import StaffFactory
from tests.orders.discount_helpers import discount_code
from tests.orders.factories import shop, stocked
from tests.orders.returns_helpers import counter_sale
from tests.orders.stored_value_helpers import credit_of, give_credit
from tests.orders.till_helpers import open_counter_till

pytestmark = pytest.mark.django_db


@pytest.fixture
def zurich():
    store = shop(code="ZH01", country="CH", city="Zürich")
    item = stocked(store, 5, price="49.90")
    PriceListPrice.objects.create(
        price_list=PriceList.objects.get(code="CHF"),
        variant=item,
        price=Decimal("54.05"),
    )
    return store, item, StaffFactory(store=store)


def test_euro_credit_does_not_pay_a_sale_in_francs(zurich):
    store, item, clerk = zurich
    pia = make_customer(phone="+41791234567")
    give_credit(pia, "100.00")

    with pytest.raises(ValidationFailed) as refused:
        counter_sale(
            store=store,
            lines=[(item, 1)],
            staff=clerk,
            customer=pia,
            tenders=[(PaymentMethod.STORE_CREDIT, "54.05")],
        )

    assert refused.value.code == "store_credit_currency"
    assert "kept in EUR; this sale is in CHF" in refused.value.message
    assert credit_of(pia) == Decimal("100.00")
    assert not Order.objects.exists()


def test_a_return_in_francs_is_not_refunded_as_euro_credit(zurich):
    store, item, clerk = zurich
    pia = make_customer(phone="+41791234568")
    sale = counter_sale(store=store, lines=[(item, 1)], staff=clerk, customer=pia)

    with pytest.raises(ValidationFailed) as refused:
        return_at_counter(
            order=sale.number,
            lines=[ReturnLineRequest(sale.lines.get().pk, 1, "changed_mind")],
            location=store,
            actor=clerk,
            refund_method=RefundMethod.STORE_CREDIT,
        )

    assert refused.value.code == "store_credit_currency"
    assert credit_of(pia) == 0
    assert not Return.objects.exists()
    # To the card it was paid with, it goes back in francs.
    back = return_at_counter(
        order=sale.number,
        lines=[ReturnLineRequest(sale.lines.get().pk, 1, "changed_mind")],
        location=store,
        actor=clerk,
    )
    assert back.refund_total == Decimal("54.05")


@pytest.mark.parametrize(
    ("kind", "value", "minimum", "takes"),
    [
        ("fixed", "20", "0", None),  # 20 euros are not 20 francs
        ("percentage", "10", "70", None),  # nor is a 70 euro minimum
        ("percentage", "10", "0", Decimal("5.41")),  # a share is a share
    ],
)
def test_a_code_in_euros_takes_nothing_off_a_sale_in_francs(
    zurich, kind, value, minimum, takes
):
    store, item, clerk = zurich
    discount_code(code="SPRING", kind=kind, value=value, min_subtotal=Decimal(minimum))

    def buy():
        return counter_sale(
            store=store, lines=[(item, 1)], staff=clerk, discount_code="SPRING"
        )

    if takes is None:
        with pytest.raises(ValidationFailed) as refused:
            buy()
        assert refused.value.code == "discount_wrong_currency"
        assert "for orders in EUR; this one is in CHF" in refused.value.message
        assert not Order.objects.exists()
    else:
        assert buy().discount_total == takes


def test_a_swiss_till_holds_francs_and_pays_no_euros_out(zurich):
    """The drawer's sums never add two currencies: opened in francs, it takes the
    shop's franc sales, and a euro order's cash refund is refused there."""
    store, item, clerk = zurich
    till = open_counter_till(clerk)
    assert till.currency == "CHF"
    francs = counter_sale(
        store=store,
        lines=[(item, 1)],
        staff=clerk,
        tenders=[(PaymentMethod.CASH, "54.05")],
        till=TillBooking(till, None),
    )
    assert francs.currency == "CHF"
    milano = shop(code="MI01")
    euros = counter_sale(
        store=milano,
        lines=[(stocked(milano, 2, price="59.90"), 1)],
        staff=StaffFactory(store=milano),
        tenders=[(PaymentMethod.CASH, "59.90")],
        till=TillBooking(open_counter_till(StaffFactory(store=milano)), None),
    )

    with pytest.raises(ValidationFailed) as refused:
        return_at_counter(
            order=euros.number,
            lines=[ReturnLineRequest(euros.lines.get().pk, 1, "changed_mind")],
            location=store,
            actor=clerk,
        )

    assert refused.value.code == "till_currency"
    assert "This till holds CHF" in refused.value.message
    assert not Refund.objects.exists() and not Return.objects.exists()
    assert expected_cash(till) == Decimal("154.05")
