"""Store credit expiry: each credit expires at the end of the local day
OMNISTORE_STORE_CREDIT_EXPIRY_DAYS after it is booked, the credit expiring first is spent first, and the hourly run books what is
left once — never more than the balance, never for a customer with nothing due."""

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from customers.models import Customer, CustomerEvent
from omnistore.core.dates import end_of_day_after
from omnistore.core.exceptions import ValidationFailed
from orders import tasks
from orders.models import StoreCreditKind, StoreCreditTransaction
from orders.selectors.credit import (
    customers_with_store_credit_due,
    next_store_credit_expiry,
    store_credit_discrepancies,
)
from orders.selectors.giftcards import stored_value_liability
from orders.services.credit import expire_store_credit
from tests.customers.factories import make_customer
from tests.orders.stored_value_helpers import credit_of, give_credit, spend_credit

pytestmark = pytest.mark.django_db

T0 = datetime.fromisoformat("2026-01-10T09:00:00+00:00")
YEAR = timedelta(days=365)
SECOND = timedelta(seconds=1)


def expires(booked, days=365):
    """When a credit booked at ``booked`` expires: the end of its last local day."""
    return end_of_day_after(booked, days)


DUE = expires(T0)  # the end of 10 January 2027 in the shops' time zone


def credit(customer, amount, when, ref, kind=StoreCreditKind.RETURN):
    return give_credit(customer, amount, ref, now=when, kind=kind, reason="Return")


def spend(customer, amount, when, ref):
    return spend_credit(customer, amount, ref, now=when)


def expiries(customer) -> list[Decimal]:
    return list(
        StoreCreditTransaction.objects.filter(
            customer=customer, kind=StoreCreditKind.EXPIRY
        )
        .order_by("id")
        .values_list("amount", flat=True)
    )


@pytest.fixture
def ada():
    return make_customer(email="ada@example.com")


def test_a_credit_expires_after_the_configured_days_and_a_spend_never(ada, settings):
    settings.OMNISTORE_STORE_CREDIT_EXPIRY_DAYS = 30
    row = credit(ada, "40.00", T0, "a")
    spent = spend(ada, "10.00", T0, "b")
    assert row.expires_at == expires(T0, 30)
    assert spent.expires_at is None
    assert django_settings.CELERY_BEAT_SCHEDULE["orders-expire-store-credit"] == {
        "task": "orders.tasks.expire_store_credit",
        "schedule": 3600.0,
    }


def test_by_default_a_credit_is_good_for_a_year(ada):
    assert credit(ada, "40.00", T0, "a").expires_at == DUE


def test_zero_days_means_credit_never_expires(ada, settings):
    settings.OMNISTORE_STORE_CREDIT_EXPIRY_DAYS = 0
    assert credit(ada, "40.00", T0, "a").expires_at is None
    assert expire_store_credit(now=T0 + 10 * YEAR) == 0
    assert credit_of(ada) == Decimal("40.00")
    assert next_store_credit_expiry(Customer.objects.get(pk=ada.pk)) is None


def test_a_partly_spent_credit_expires_only_what_is_left(ada):
    credit(ada, "100.00", T0, "a")
    spend(ada, "30.00", T0 + timedelta(days=10), "b")

    assert expire_store_credit(now=DUE - SECOND) == 0
    assert expire_store_credit(now=DUE) == 1

    assert credit_of(ada) == 0
    row = StoreCreditTransaction.objects.get(customer=ada, kind=StoreCreditKind.EXPIRY)
    assert (row.amount, row.created_at, row.actor) == (
        Decimal("-70.00"),
        DUE,
        None,
    )
    assert row.reason == "Expired unused (credit due by 2027-01-10)"
    event = CustomerEvent.objects.filter(customer=ada).latest("id")
    assert event.kind == "store_credit"
    assert event.summary == (
        "Store credit -70.00 EUR: Expired unused (credit due by 2027-01-10)"
    )
    assert store_credit_discrepancies() == []


def test_spends_take_the_credit_expiring_first(ada):
    credit(ada, "100.00", T0, "a")
    credit(ada, "50.00", T0 + timedelta(days=100), "b")
    spend(ada, "120.00", T0 + timedelta(days=150), "c")  # all of a, 20 of b

    assert expire_store_credit(now=DUE + SECOND) == 0
    assert credit_of(ada) == Decimal("30.00")

    assert expire_store_credit(now=expires(T0 + timedelta(days=100))) == 1
    assert expiries(ada) == [Decimal("-30.00")]
    assert credit_of(ada) == 0


def test_spending_after_a_partial_expiry_takes_the_next_credit(ada):
    credit(ada, "100.00", T0, "a")
    credit(ada, "50.00", T0 + timedelta(days=200), "b")
    spend(ada, "40.00", T0 + timedelta(days=10), "c")

    assert expire_store_credit(now=DUE) == 1
    assert credit_of(ada) == Decimal("50.00")
    spend(ada, "20.00", T0 + YEAR + timedelta(days=1), "d")

    assert expire_store_credit(now=expires(T0 + timedelta(days=200))) == 1
    assert expiries(ada) == [Decimal("-60.00"), Decimal("-30.00")]
    assert credit_of(ada) == 0
    assert store_credit_discrepancies() == []


def test_credit_given_back_from_a_payment_expires_from_the_day_it_comes_back(ada):
    credit(ada, "100.00", T0, "a")
    spend(ada, "100.00", T0 + timedelta(days=1), "b")
    back = credit(
        ada, "100.00", T0 + timedelta(days=300), "c", StoreCreditKind.PAYMENT_REFUND
    )
    assert back.expires_at == expires(T0 + timedelta(days=300))

    assert expire_store_credit(now=DUE + SECOND) == 0
    assert credit_of(ada) == Decimal("100.00")
    assert expire_store_credit(now=back.expires_at) == 1
    assert expiries(ada) == [Decimal("-100.00")]


def test_running_again_changes_nothing(ada):
    credit(ada, "25.00", T0, "a")
    later = DUE + timedelta(hours=3)
    assert expire_store_credit(now=DUE) == 1
    assert expire_store_credit(now=DUE) == 0
    assert expire_store_credit(now=later) == 0
    assert expiries(ada) == [Decimal("-25.00")]
    assert credit_of(ada) == 0


def test_the_balance_never_goes_below_zero(ada):
    credit(ada, "60.00", T0, "a")
    credit(ada, "40.00", T0 + timedelta(days=30), "b")
    spend(ada, "50.00", T0 + timedelta(days=40), "c")
    expire_store_credit(now=DUE)
    assert credit_of(ada) == Decimal("40.00")  # 10 of the first credit expired

    with pytest.raises(ValidationFailed) as refused:
        spend(ada, "40.01", T0 + YEAR + timedelta(days=1), "d")
    assert refused.value.code == "insufficient_store_credit"
    spend(ada, "40.00", T0 + YEAR + timedelta(days=1), "e")
    assert expire_store_credit(now=T0 + 3 * YEAR) == 0
    assert credit_of(ada) == 0
    assert store_credit_discrepancies() == []


def test_customers_with_nothing_due_are_left_alone(ada, settings):
    spent = make_customer(email="spent@example.com")
    fresh = make_customer(email="fresh@example.com")
    legacy = make_customer(email="legacy@example.com")
    credit(ada, "10.00", T0, "a")
    credit(spent, "10.00", T0, "b")
    spend(spent, "10.00", T0 + timedelta(days=1), "c")
    credit(fresh, "10.00", T0 + timedelta(days=100), "d")
    settings.OMNISTORE_STORE_CREDIT_EXPIRY_DAYS = 0
    credit(legacy, "10.00", T0, "e")
    events = CustomerEvent.objects.count()

    assert expire_store_credit(now=T0 + YEAR + timedelta(days=1)) == 1

    assert (
        StoreCreditTransaction.objects.filter(kind=StoreCreditKind.EXPIRY)
        .get()
        .customer_id
        == ada.pk
    )
    assert CustomerEvent.objects.count() == events + 1
    assert [credit_of(c) for c in (spent, fresh, legacy)] == [
        0,
        Decimal("10.00"),
        Decimal("10.00"),
    ]


# Lock, sum, then the booking: reference check, live profile, the row (savepoint),
# the balance, the timeline event; each customer in a transaction of its own.
PER_CUSTOMER = 14


@pytest.mark.parametrize("due", [1, 4])
def test_the_run_costs_a_fixed_number_of_queries_per_customer(
    due, django_assert_num_queries
):
    for index in range(due):
        customer = make_customer(email=f"c{index}@example.com")
        credit(customer, "10.00", T0, f"due{index}")
    idle = make_customer(email="idle@example.com")
    credit(idle, "10.00", T0 + timedelta(days=100), "idle")

    with django_assert_num_queries(1 + PER_CUSTOMER * due):
        assert expire_store_credit(now=DUE) == due


def test_the_hourly_task_expires_what_is_due(ada):
    credit(ada, "15.00", timezone.now() - YEAR - timedelta(days=1), "a")
    assert tasks.expire_store_credit() == 1
    assert tasks.expire_store_credit() == 0
    assert credit_of(ada) == 0


def test_the_next_expiry_is_what_is_left_of_the_credit_expiring_first(ada):
    credit(ada, "100.00", T0, "a")
    credit(ada, "50.00", T0 + timedelta(days=100), "b")
    spend(ada, "120.00", T0 + timedelta(days=150), "c")
    ada.refresh_from_db()

    upcoming = next_store_credit_expiry(ada, now=T0 + timedelta(days=200))

    assert (upcoming.amount, upcoming.currency, upcoming.expires_at) == (
        Decimal("30.00"),
        "EUR",
        expires(T0 + timedelta(days=100)),
    )


def test_the_liability_report_shows_expired_store_credit(ada):
    credit(ada, "100.00", T0, "a")
    spend(ada, "30.00", T0 + timedelta(days=10), "b")
    expire_store_credit(now=DUE)

    (row,) = stored_value_liability(start=T0, end=T0 + 2 * YEAR)

    assert (row.tender, row.outstanding, row.issued, row.redeemed, row.expired) == (
        "Store credit",
        Decimal("0.00"),
        Decimal("100.00"),
        Decimal("-30.00"),
        Decimal("-70.00"),
    )


def test_the_last_cents_of_store_credit_can_be_spent():
    """59.90 less 49.10 leaves 10.80 to spend, not a hair under it."""
    customer = make_customer(email="cents@example.com")
    give_credit(customer, "59.90", "cents")
    spend_credit(customer, "49.10", "first")
    spend_credit(customer, "10.80", "second")
    customer.refresh_from_db()
    assert customer.store_credit_balance == Decimal("0.00")
    assert store_credit_discrepancies() == []
    assert customers_with_store_credit_due(timezone.now() + timedelta(days=9999)) == []
