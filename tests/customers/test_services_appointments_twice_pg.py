"""One customer's booking sent several times at once (PostgreSQL, threads): the
customer's row lock queues them, so one books and the others find it."""

from datetime import timedelta

import pytest
from django.utils import timezone

from customers.models import Appointment
from customers.services.appointments import book_appointment
from omnistore.core.channels import Channel
from omnistore.core.exceptions import Conflict
from tests.concurrency import run_parallel
from tests.customers.appointments import at, open_shop
from tests.customers.factories import make_customer

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_one_customers_booking_sent_at_once_from_two_shops_books_once():
    milano, _ = open_shop(name="Milano Centro", associates=3)
    monza, _ = open_shop(name="Monza", associates=3)
    customer = make_customer(email="martina@example.com")
    day = timezone.localdate() + timedelta(days=1)

    def booking(shop):
        return lambda: book_appointment(
            customer=customer,
            location=shop,
            kind="styling",
            starts_at=at(day, 15),
            channel=Channel.WEB,
        )

    results = run_parallel([booking(milano if i % 2 else monza) for i in range(6)])
    booked = [r for r in results if isinstance(r, Appointment)]
    refused = [r for r in results if isinstance(r, Conflict)]
    assert len(booked) == 1 and len(refused) == 5, results
    assert all(r.code == "customer_busy" for r in refused), results
    assert Appointment.objects.filter(customer=customer).count() == 1
