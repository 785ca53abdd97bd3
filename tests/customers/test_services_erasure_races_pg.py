"""A request authenticated just before its customer's erasure commits (PostgreSQL,
threads): what it was about to write waits for the erasure and is refused, so
nothing lands on the erased profile."""

import time
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from customers.models import Appointment, Customer
from customers.services.appointments import book_appointment
from customers.services.erasure import erase_customer
from customers.services.logins import profile_for_login
from customers.services.verification import claim_with_receipt, receipt_claim_code
from omnistore.core.channels import Channel
from omnistore.core.exceptions import Conflict
from tests.concurrency import run_parallel
from tests.customers.appointments import at, open_shop
from tests.customers.factories import CustomerUserFactory
from tests.customers.test_services_verification import shop_profile_with_order

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
HELD = 1.0  # how long the erasure's transaction stays open after erasing


def _erasing(customer):
    def erase():
        with transaction.atomic():
            erase_customer(customer=customer, channel=Channel.WEB)
            time.sleep(HELD)  # the other request arrives meanwhile

    return erase


def _after_a_moment(job):
    def later():
        time.sleep(HELD / 4)  # once the erasure holds the profile
        return job()

    return later


def test_a_receipt_claim_racing_the_logins_erasure_takes_nothing_over():
    in_store = shop_profile_with_order("OS-9")
    user = CustomerUserFactory()
    mine = profile_for_login(user=user)

    _, claimed = run_parallel(
        [
            _erasing(mine),
            _after_a_moment(
                lambda: claim_with_receipt(
                    user=user,
                    order_number="OS-9",
                    claim_code=receipt_claim_code("OS-9"),
                )
            ),
        ]
    )

    assert isinstance(claimed, Conflict) and claimed.code == "profile_erased", claimed
    in_store = Customer.objects.get(pk=in_store.pk)
    assert in_store.user_id is None and in_store.merged_into_id is None
    assert Customer.objects.get(pk=mine.pk).merged_into_id is None


def test_a_booking_racing_the_customers_erasure_books_nothing():
    shop, _ = open_shop()
    customer = profile_for_login(user=CustomerUserFactory())
    starts_at = at(timezone.localdate() + timedelta(days=1), 15)

    _, booked = run_parallel(
        [
            _erasing(customer),
            _after_a_moment(
                lambda: book_appointment(
                    customer=customer,
                    location=shop,
                    kind="fitting",
                    starts_at=starts_at,
                    channel=Channel.WEB,
                    note="after the erasure",
                )
            ),
        ]
    )

    assert isinstance(booked, Conflict) and booked.code == "profile_erased", booked
    assert not Appointment.objects.exists()
