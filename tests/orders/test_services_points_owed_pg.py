"""Real threads and row locks: points given back while a reversal beyond the balance
is being booked wait for it on the profile's row, then read what it left owed and
pay that first."""

import pytest

from customers.models import Customer
from customers.services.loyalty import earn_points, restore_points, reverse_points
from tests.customers.factories import make_customer
from tests.orders.test_services_points_concurrency_pg import hold_then

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_points_given_back_during_a_reversal_pay_what_it_left_owed():
    """10 held; 50 taken back (10 taken, 40 owed) while 100 are given back: 60."""
    customer = make_customer(email="race@example.com")
    earn_points(customer=customer, points=10, reason="Order OS-1", reference_id="1")

    def take_back():
        reverse_points(
            customer=customer.pk,
            points=50,
            reason="Return R-1 of order OS-1",
            reference_type="return",
            reference_id="R-1",
        )

    def give_back():
        restore_points(
            customer=customer.pk,
            points=100,
            reason="Points given back: order OS-2 cancelled",
            reference_type="refund",
            reference_id="cancel:OS-2",
        )

    hold_then(take_back, give_back)

    row = Customer.objects.get(pk=customer.pk)
    assert (row.points_balance, row.points_owed) == (60, 0)
