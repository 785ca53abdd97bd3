"""Points a reversal could not take back are owed, once per reference; the points
that come in next pay them first, a line each; a merge adds up what both profiles
owe and pays it from what they hold. The ledger sums to the balance and to the
points owed."""

import pytest
from django.db import IntegrityError, transaction
from django.db.models import Sum

from customers.models import Customer, CustomerEvent, LoyaltyTransaction
from customers.services.loyalty import (
    PointsBooking,
    earn_points,
    earn_points_in_bulk,
    restore_points,
    reverse_points,
)
from customers.services.merge import merge_customers
from tests.customers.factories import make_customer
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


def held(customer) -> tuple[int, int]:
    """The live balance and points owed, checked against the ledger's sums."""
    row = Customer.objects.get(pk=customer.pk)
    sums = LoyaltyTransaction.objects.filter(customer=row).aggregate(
        points=Sum("points"), owed=Sum("owed")
    )
    assert (sums["points"] or 0, sums["owed"] or 0) == (
        row.points_balance,
        row.points_owed,
    )
    return row.points_balance, row.points_owed


def owing(email, points, ref="R-1"):
    """A profile that earned 10 points and had ``points`` + 10 taken back."""
    customer = make_customer(email=email)
    earn_points(customer=customer, points=10, reason="Order", reference_id=ref)
    reverse_points(
        customer=customer,
        points=points + 10,
        reason=f"Return {ref}",
        reference_type="return",
        reference_id=ref,
    )
    return customer


def test_points_not_taken_back_are_owed_once_per_reference():
    customer = make_customer(email="o@example.com")

    for _ in range(2):
        done = reverse_points(
            customer=customer,
            points=60,
            reason="Return R-1",
            reference_type="return",
            reference_id="R-1",
        )

    assert (done.taken, done.spent) == (0, 60)
    assert held(customer) == (0, 60)
    row = LoyaltyTransaction.objects.get(kind="reverse")
    assert (row.points, row.owed) == (0, 60)
    assert row.reason == "Return R-1 (all 60 points already spent: owed)"


def test_points_coming_in_pay_what_is_owed_first_a_line_each():
    customer = owing("o@example.com", 150)
    assert held(customer) == (0, 150)

    earn_points_in_bulk(
        bookings=[
            PointsBooking(customer, 100, "Order OS-2", "order", "OS-2"),
            PointsBooking(customer, 100, "Order OS-3", "order", "OS-3"),
        ]
    )

    assert held(customer) == (50, 0)
    repaid = LoyaltyTransaction.objects.filter(kind="repay").order_by("pk")
    assert [(r.points, r.reason) for r in repaid] == [
        (-100, "Points owed paid from: Order OS-2"),
        (-50, "Points owed paid from: Order OS-3"),
    ]
    events = CustomerEvent.objects.filter(
        kind="points_reversed", reference_type="points_entry"
    )
    assert sorted(e.data["owed"] for e in events) == [-100, -50]


def test_points_given_back_pay_what_is_owed_and_only_once():
    customer = owing("o@example.com", 40)

    for _ in range(2):
        restore_points(
            customer=customer,
            points=30,
            reason="Points given back: order OS-9 cancelled",
            reference_type="refund",
            reference_id="cancel:OS-9",
        )

    assert held(customer) == (0, 10)
    earn_points(customer=customer, points=25, reason="Order OS-4", reference_id="4")
    assert held(customer) == (15, 0)


def test_a_merge_adds_up_what_both_profiles_owe():
    survivor = owing("s@example.com", 50, ref="R-1")
    other = owing("o@example.com", 20, ref="R-2")

    merge_customers(survivor=survivor, other=other, actor=StaffFactory())

    assert held(survivor) == (0, 70)
    assert Customer.objects.get(pk=other.pk).points_owed == 0
    earn_points(customer=other, points=100, reason="Order OS-5", reference_id="5")
    assert held(survivor) == (30, 0)


@pytest.mark.parametrize("owes", ["survivor", "other"])
def test_a_merge_pays_what_one_profile_owes_from_what_the_other_holds(owes):
    debtor = owing("d@example.com", 50)
    holder = make_customer(email="h@example.com")
    earn_points(customer=holder, points=80, reason="Order OS-6", reference_id="6")
    survivor, other = (debtor, holder) if owes == "survivor" else (holder, debtor)

    merge = merge_customers(survivor=survivor, other=other, actor=StaffFactory())

    assert held(survivor) == (30, 0)
    repaid = LoyaltyTransaction.objects.get(kind="repay")
    assert (repaid.points, repaid.reference_type, repaid.reference_id) == (
        -50,
        "customer_merge",
        str(merge.pk),
    )


def test_the_database_keeps_the_points_owed_from_going_below_zero():
    customer = make_customer(email="o@example.com")
    with pytest.raises(IntegrityError), transaction.atomic():
        Customer.objects.filter(pk=customer.pk).update(points_owed=-1)
