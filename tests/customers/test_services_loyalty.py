"""Booking many points at once follows the rules of one booking: the live profile gets
them, each reference once, and nothing is written when one booking is wrong."""

import pytest

from customers.models import Customer, CustomerEvent, LoyaltyTransaction
from customers.services.loyalty import PointsBooking, earn_points, earn_points_in_bulk
from customers.services.merge import merge_customers
from omnistore.core.exceptions import ValidationFailed
from tests.customers.factories import make_customer
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


def balance(customer) -> int:
    return Customer.objects.get(pk=customer.pk).points_balance


def test_bookings_of_merged_profiles_go_to_the_survivor_of_every_merge():
    first = make_customer(email="a@example.com")
    middle = make_customer(email="b@example.com")
    last = make_customer(email="c@example.com")
    staff = StaffFactory()
    merge_customers(survivor=middle, other=first, actor=staff)
    merge_customers(survivor=last, other=middle, actor=staff)

    written = earn_points_in_bulk(
        bookings=[
            PointsBooking(customer=first, points=5, reason="Sale 1", reference_id="s1"),
            PointsBooking(customer=middle.pk, points=7, reason="Sale 2"),
            PointsBooking(customer=last, points=11, reason="Sale 3", reference_id="s3"),
        ]
    )

    assert [(t.customer_id, t.points) for t in written] == [
        (last.pk, 5),
        (last.pk, 7),
        (last.pk, 11),
    ]
    assert balance(last) == 23
    assert balance(first) == balance(middle) == 0
    events = CustomerEvent.objects.filter(kind="points_earned").order_by("id")
    assert [(e.customer_id, e.summary, e.data) for e in events] == [
        (last.pk, "+5 points: Sale 1", {"points": 5}),
        (last.pk, "+7 points: Sale 2", {"points": 7}),
        (last.pk, "+11 points: Sale 3", {"points": 11}),
    ]


def test_a_reference_is_credited_once_within_a_batch_and_across_batches():
    ada = make_customer(email="ada@example.com")
    earn_points(
        customer=ada,
        points=10,
        reason="Order A",
        reference_type="order",
        reference_id="A",
    )

    written = earn_points_in_bulk(
        bookings=[
            PointsBooking(ada, 10, "Order A", "order", "A"),  # booked before
            PointsBooking(ada, 20, "Order B", "order", "B"),
            PointsBooking(ada, 20, "Order B", "order", "B"),  # twice in the batch
            PointsBooking(ada, 3, "Order B", "return", "B"),  # another reference
        ]
    )

    assert [(t.reference_type, t.reference_id, t.points) for t in written] == [
        ("order", "B", 20),
        ("return", "B", 3),
    ]
    assert balance(ada) == 33
    assert LoyaltyTransaction.objects.filter(customer=ada).count() == 3
    assert CustomerEvent.objects.filter(kind="points_earned").count() == 3
    assert (
        earn_points_in_bulk(bookings=[PointsBooking(ada, 20, "Order B", "order", "B")])
        == []
    )
    assert balance(ada) == 33


def test_one_wrong_booking_writes_nothing():
    ada = make_customer(email="ada@example.com")
    with pytest.raises(ValidationFailed):
        earn_points_in_bulk(
            bookings=[
                PointsBooking(ada, 10, "Order A", "order", "A"),
                PointsBooking(ada, 0, "Order B", "order", "B"),
            ]
        )
    assert not LoyaltyTransaction.objects.exists()
    assert balance(ada) == 0


@pytest.mark.parametrize("count", [2, 10])
def test_a_bulk_booking_costs_the_same_queries_for_any_number_of_bookings(
    count, django_assert_max_num_queries
):
    customers = [make_customer(email=f"c{n}@example.com") for n in range(count)]
    with django_assert_max_num_queries(4):
        written = earn_points_in_bulk(
            bookings=[
                PointsBooking(c, 4, f"Order {n}", "order", str(n))
                for n, c in enumerate(customers)
            ]
        )
    assert len(written) == count
    assert all(balance(c) == 4 for c in customers)
