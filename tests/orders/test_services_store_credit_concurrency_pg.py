"""Store credit expiring while it is being spent, and two expiry runs at once: real
threads, real connections, real row locks on PostgreSQL."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from omnistore.core.exceptions import ValidationFailed
from orders.models import StoreCreditKind, StoreCreditTransaction
from orders.selectors.credit import store_credit_discrepancies
from orders.services.credit import expire_store_credit
from tests.concurrency import run_parallel
from tests.customers.factories import make_customer
from tests.orders.stored_value_helpers import credit_of, give_credit, spend_credit

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def lapsed_credit(customer, amount: str) -> None:
    lapsed = timezone.now() - timedelta(days=400)
    give_credit(customer, amount, str(customer.pk), now=lapsed, reason="Return")


def spend(customer, amount: str, ref: str):
    return spend_credit(customer, amount, ref)


@pytest.mark.parametrize("round_", range(3))
def test_a_spend_racing_the_expiry_never_takes_the_balance_below_zero(round_):
    """100.00 lapsed: whichever comes first, the spend of 60.00 or the expiry, the
    balance ends at zero, the ledger adds up and exactly one expiry is booked."""
    customer = make_customer(email=f"race{round_}@example.com")
    lapsed_credit(customer, "100.00")

    results = run_parallel(
        [lambda: spend(customer, "60.00", f"race{round_}"), expire_store_credit]
    )

    spent, expired = results
    assert expired == 1, results
    assert isinstance(spent, StoreCreditTransaction | ValidationFailed), results
    rows = StoreCreditTransaction.objects.filter(
        customer=customer, kind=StoreCreditKind.EXPIRY
    )
    expected = (
        Decimal("-40.00")
        if isinstance(spent, StoreCreditTransaction)
        else (Decimal("-100.00"))
    )
    assert [row.amount for row in rows] == [expected]
    assert credit_of(customer) == 0
    assert store_credit_discrepancies() == []


def test_two_runs_at_once_expire_once():
    customers = [make_customer(email=f"c{n}@example.com") for n in range(3)]
    for customer in customers:
        lapsed_credit(customer, "25.00")

    results = run_parallel([expire_store_credit, expire_store_credit])

    assert sum(results) == 3, results
    assert (
        StoreCreditTransaction.objects.filter(kind=StoreCreditKind.EXPIRY).count() == 3
    )
    assert [credit_of(c) for c in customers] == [0, 0, 0]
    assert store_credit_discrepancies() == []
