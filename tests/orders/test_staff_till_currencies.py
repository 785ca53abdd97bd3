"""A drawer's session never adds two currencies: a sale in francs returned at a
euro shop is refunded to its card without touching the euro till's report, and its
cash is refused there with what the associate can do instead."""

from decimal import Decimal

import pytest
from django.urls import reverse

from omnistore.core.exceptions import ValidationFailed
from omnistore.staff.once import new_token
from orders.models import PaymentMethod, Refund, Return, TillMovement
from orders.selectors.till import z_report
from orders.services.refunds import return_at_counter
from orders.services.returns import ReturnLineRequest
from orders.services.till import TillBooking
from tests.customers.factories import make_customer
from tests.factories import StaffFactory
from tests.orders.factories import stocked
from tests.orders.returns_helpers import counter_sale
from tests.orders.till_helpers import open_counter_till

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def shirt(franc_shirt):
    return franc_shirt


@pytest.fixture
def milano_desk(client, milano):
    """Milano's counter with its euro till open (100.00 float)."""
    clerk = StaffFactory(store=milano)
    client.force_login(clerk)
    return client, open_counter_till(clerk)


def franc_sale(zurich, shirt, *, tenders=None):
    clerk = StaffFactory(store=zurich)
    return counter_sale(
        store=zurich,
        lines=[(shirt, 1)],
        staff=clerk,
        customer=make_customer(phone="+41791234567"),
        tenders=tenders,
        till=TillBooking(open_counter_till(clerk), None),
    )


def return_here(client, order, refund_method="original"):
    line = order.lines.get()
    return client.post(
        reverse("staff:return_start", args=[order.number]),
        {
            "once": new_token(),
            f"qty_{line.pk}": "1",
            f"reason_{line.pk}": "too_small",
            f"condition_{line.pk}": "sellable",
            "refund_method": refund_method,
            "action": "refund",
        },
    )


def refunds_total(client, session) -> str:
    page = client.get(reverse("staff:till_report", args=[session.pk])).content.decode()
    return page.split('data-testid="z-refunds-total">')[1].split("<")[0]


def test_a_franc_card_refund_at_a_euro_shop_stays_off_its_z_report(
    milano_desk, zurich, shirt
):
    client, till = milano_desk
    sale = franc_sale(zurich, shirt)
    assert refunds_total(client, till) == "0.00"

    response = return_here(client, sale)

    assert response.status_code == 302
    refund = Refund.objects.get()
    assert (refund.amount, refund.currency) == (D("62.90"), "CHF")
    assert refund.payment.method == PaymentMethod.CARD_IN_STORE
    assert not TillMovement.objects.filter(refund=refund).exists()
    assert refunds_total(client, till) == "0.00"
    report = z_report(till)
    assert report.refunds_by_tender == [] and report.voids == []


def test_a_franc_cash_refund_at_a_euro_till_says_where_it_can_be_paid(
    milano_desk, zurich, shirt
):
    client, till = milano_desk
    sale = franc_sale(zurich, shirt, tenders=[(PaymentMethod.CASH, "62.90")])

    refused = return_here(client, sale)

    assert refused.status_code == 422
    html = refused.content.decode()
    assert (
        "This till holds EUR: cash paid in CHF is refunded in cash at a shop that "
        "takes CHF; store credit is kept in EUR and cannot take it. Nothing was "
        "refunded."
    ) in html
    assert "back to the card or" not in html
    assert "as store credit here" not in html
    assert not Return.objects.exists() and not Refund.objects.exists()
    assert refunds_total(client, till) == "0.00"


def test_euro_cash_at_a_franc_till_may_go_to_store_credit_instead(zurich, milano):
    """Store credit is kept in euros: the franc drawer's refusal of euro cash
    offers it, as the store-credit refusal does not refuse it."""
    item = stocked(milano, 2, price="59.90")
    sale = counter_sale(
        store=milano,
        lines=[(item, 1)],
        staff=StaffFactory(store=milano),
        tenders=[(PaymentMethod.CASH, "59.90")],
        till=TillBooking(open_counter_till(StaffFactory(store=milano)), None),
    )
    clerk = StaffFactory(store=zurich)
    open_counter_till(clerk)

    with pytest.raises(ValidationFailed) as refused:
        return_at_counter(
            order=sale.number,
            lines=[ReturnLineRequest(sale.lines.get().pk, 1, "changed_mind")],
            location=zurich,
            actor=clerk,
        )

    assert refused.value.message == (
        "This till holds CHF: cash paid in EUR is refunded in cash at a shop that "
        "takes EUR, or as store credit here. Nothing was refunded."
    )
