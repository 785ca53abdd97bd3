"""Several addresses made the default at once (PostgreSQL, threads): the customer's
row lock queues the writes, so exactly one default is left, and a full book takes no
address more however many arrive together; the same address sent many times at once
is saved once."""

import pytest

from customers.models import Address
from customers.services.addresses import MAX_ADDRESSES, add_address, update_address
from omnistore.core.exceptions import Conflict
from tests.concurrency import run_parallel
from tests.customers.factories import make_customer

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

STREET = {"line1": "Via Torino 1", "city": "Milano", "postcode": "20123"}


def test_addresses_made_the_default_at_once_leave_exactly_one_default():
    customer = make_customer(email="nora@example.com")
    ids = [add_address(customer=customer, label=f"#{n}", **STREET).pk for n in range(6)]

    def making_default(pk):
        return lambda: update_address(customer=customer, address_id=pk, is_default=True)

    def adding_default(n):
        return lambda: add_address(
            customer=customer, label=f"new {n}", is_default=True, **STREET
        )

    results = run_parallel(
        [making_default(pk) for pk in ids[1:]] + [adding_default(n) for n in range(3)]
    )

    assert all(isinstance(r, Address) for r in results), results
    assert Address.objects.filter(customer=customer, is_default=True).count() == 1


def test_a_nearly_full_book_sent_many_addresses_at_once_takes_only_what_fits():
    customer = make_customer(email="nora@example.com")
    for n in range(MAX_ADDRESSES - 2):
        add_address(customer=customer, label=f"#{n}", **STREET)

    def adding(n):
        return lambda: add_address(customer=customer, label=f"new {n}", **STREET)

    results = run_parallel([adding(n) for n in range(6)])

    assert sum(isinstance(r, Address) for r in results) == 2, results
    assert all(
        r.code == "too_many_addresses" for r in results if isinstance(r, Conflict)
    )
    assert Address.objects.filter(customer=customer).count() == MAX_ADDRESSES


def test_the_same_address_sent_many_times_at_once_is_saved_once():
    customer = make_customer(email="nora@example.com")

    results = run_parallel(
        [lambda: add_address(customer=customer, label="Home", **STREET)] * 6
    )

    assert all(isinstance(r, Address) for r in results), results
    assert len({r.pk for r in results}) == 1
    assert Address.objects.filter(customer=customer).count() == 1
