"""Taking points back never takes a balance below zero: what is left is taken, the
points already spent are owed, the ledger and the timeline say how many, and taking
back the same reference again changes nothing."""

import pytest

from customers.models import Customer, CustomerEvent, LoyaltyTransaction
from customers.services.loyalty import earn_points, reverse_points
from customers.services.merge import merge_customers
from tests.customers.factories import make_customer
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


def balance(customer) -> int:
    return Customer.objects.get(pk=customer.pk).points_balance


def take_back(customer, points):
    return reverse_points(
        customer=customer,
        points=points,
        reason="Return R-1 of order OS-1",
        reference_type="return",
        reference_id="R-1",
    )


def test_points_taken_back_beyond_the_balance_take_what_is_left_once():
    customer = make_customer(email="p@example.com")
    earn_points(customer=customer, points=30, reason="Order OS-1", reference_id="1")

    done = take_back(customer, 50)
    again = take_back(customer, 50)

    assert (done.taken, done.spent) == (again.taken, again.spent) == (30, 20)
    assert balance(customer) == 0
    row = LoyaltyTransaction.objects.get(kind="reverse")
    assert (row.points, row.owed, row.reason) == (
        -30,
        20,
        "Return R-1 of order OS-1 (20 of 50 points already spent: owed)",
    )
    assert Customer.objects.get(pk=customer.pk).points_owed == 20
    event = CustomerEvent.objects.get(kind="points_reversed")
    assert event.data == {"points": -30, "not_taken_back": 20}


def test_points_taken_back_from_a_merged_profile_are_the_survivors():
    survivor = make_customer(email="s@example.com")
    other = make_customer(email="o@example.com")
    earn_points(customer=survivor, points=10, reason="Order OS-2", reference_id="2")
    merge_customers(survivor=survivor, other=other, actor=StaffFactory())

    done = take_back(other, 25)

    assert (done.taken, done.spent) == (10, 15)
    assert balance(survivor) == 0
