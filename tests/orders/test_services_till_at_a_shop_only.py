"""A till is a shop's: whatever page or script asks, a warehouse opens no till, takes
or pays out no cash and rings up no counter sale, and says so; nothing is written."""

from decimal import Decimal

import pytest

from omnistore.core.exceptions import ValidationFailed
from orders.models import Refund, Register, TillMovement, TillSession
from orders.services.payments import refund_payment
from orders.services.till import cash_session, open_till, sale_session
from tests.factories import StaffFactory
from tests.orders.factories import shop, stocked, warehouse
from tests.orders.returns_helpers import counter_sale
from tests.orders.till_helpers import open_counter_till

pytestmark = pytest.mark.django_db

NOT_A_SHOP = "Piacenza Returns is a warehouse: it has no till and no counter"


@pytest.fixture
def milano():
    return shop(code="MI01", name="Milano Centro")


@pytest.fixture
def piacenza():
    return warehouse(code="WH01", name="Piacenza Returns")


def test_a_register_at_a_warehouse_is_not_opened(piacenza):
    register = Register.objects.create(location=piacenza, name="Till 1")

    with pytest.raises(ValidationFailed) as refused:
        open_till(
            register=register,
            counts={Decimal("50"): 2},
            actor=StaffFactory(store=piacenza),
        )

    assert refused.value.code == "not_a_shop"
    assert refused.value.message.startswith(NOT_A_SHOP)
    assert "The till was not opened." in refused.value.message
    assert not TillSession.objects.exists()


def test_a_counter_sale_is_not_rung_up_at_a_warehouse(piacenza):
    for takes_cash in (False, True):
        with pytest.raises(ValidationFailed) as refused:
            sale_session(location=piacenza, register=None, takes_cash=takes_cash)
        assert refused.value.code == "not_a_shop"
        assert "Nothing was sold." in refused.value.message


def test_no_cash_is_paid_out_at_a_warehouse_even_from_a_shops_open_till(
    milano, piacenza
):
    """Milano's drawer is open and holds the sale's cash; a refund given at the
    warehouse still pays none of it out."""
    associate = StaffFactory(store=milano)
    session = open_counter_till(associate)
    coat = stocked(milano, 3, price="80.00")
    sale = counter_sale(
        store=milano, lines=[(coat, 1)], staff=associate, tenders=[("cash", None)]
    )
    cash = sale.payments.get()

    with pytest.raises(ValidationFailed) as refused:
        refund_payment(
            payment=cash,
            amount=Decimal("80.00"),
            reason="Returned",
            reference="warehouse-refund-1",
            actor=StaffFactory(store=piacenza),
            location=piacenza,
            till=session,
        )
    with pytest.raises(ValidationFailed):
        cash_session(location=piacenza, actor=associate, session=session)

    assert refused.value.code == "not_a_shop"
    assert refused.value.extra == {"till": [refused.value.message]}
    assert not Refund.objects.exists()
    assert not TillMovement.objects.filter(kind="refund").exists()
    cash.refresh_from_db()
    assert cash.refunded_amount == Decimal("0.00")
