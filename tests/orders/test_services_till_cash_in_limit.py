"""Cash put into the drawer has a ceiling, ``OMNISTORE_TILL_CASH_IN_MAX`` per
movement: a typo (12,345,678.90) is refused with a field error and books nothing."""

from decimal import Decimal

import pytest

from omnistore.core.exceptions import ValidationFailed
from orders.models import Register, TillMovement, TillMovementKind
from orders.selectors.till import expected_cash
from orders.services.till import move_cash, open_till
from tests.factories import StaffFactory
from tests.orders.factories import shop

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def session():
    store = shop(code="MI01", name="Milano Duomo")
    associate = StaffFactory(store=store)
    register = Register.objects.create(location=store, name="Till 1")
    return open_till(register=register, counts={D("50"): 2}, actor=associate)


def cash_in(session, amount):
    return move_cash(
        session=session,
        kind=TillMovementKind.CASH_IN,
        amount=D(amount),
        reason="Change from the bank",
        actor=session.opened_by,
    )


def test_cash_in_above_the_limit_is_refused_and_books_nothing(session):
    for amount in ("12345678.90", "5000.01"):
        with pytest.raises(ValidationFailed) as refused:
            cash_in(session, amount)
        assert refused.value.extra == {"amount": ["At most 5000.00."]}
    assert not TillMovement.objects.filter(kind=TillMovementKind.CASH_IN).exists()
    cash_in(session, "5000.00")
    assert expected_cash(session) == D("5100.00")


def test_the_cash_in_limit_is_a_setting(settings, session):
    settings.OMNISTORE_TILL_CASH_IN_MAX = D("200.00")
    with pytest.raises(ValidationFailed) as refused:
        cash_in(session, "200.01")
    assert "200.00" in refused.value.message
    cash_in(session, "200.00")
