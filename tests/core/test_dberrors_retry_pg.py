"""A transaction the database rolls back as a deadlock's victim runs again."""

import threading

import pytest
from django.db import OperationalError, transaction

from customers.models import Customer
from omnistore.core.dberrors import run_again_if_victim
from tests.concurrency import run_parallel
from tests.customers.factories import make_customer

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def crossing(first, second, both_hold, runs):
    """Lock ``first`` then ``second``; the first run waits until the other side
    holds its first row too, so the two cross and one is chosen as the victim."""

    @transaction.atomic
    def work():
        runs.append(first)
        Customer.objects.select_for_update().get(pk=first)
        if len(runs) <= 2:
            both_hold.wait(timeout=10)
        Customer.objects.select_for_update().get(pk=second)
        return first

    return work


def test_the_victim_of_a_deadlock_runs_again_and_both_finish():
    a, b = make_customer(phone="+393331110001"), make_customer(phone="+393331110002")
    both_hold, runs = threading.Barrier(2), []

    results = run_parallel(
        [
            lambda: run_again_if_victim(crossing(a.pk, b.pk, both_hold, runs)),
            lambda: run_again_if_victim(crossing(b.pk, a.pk, both_hold, runs)),
        ]
    )

    assert sorted(results) == sorted([a.pk, b.pk]), results
    # The victim ran again (on a busy machine its new run can grab its first row
    # before the winner wakes, and the two cross once more: still within the tries).
    assert 3 <= len(runs) <= 6, runs


def test_without_it_the_victim_fails():
    a, b = make_customer(phone="+393331110003"), make_customer(phone="+393331110004")
    both_hold, runs = threading.Barrier(2), []

    results = run_parallel(
        [crossing(a.pk, b.pk, both_hold, runs), crossing(b.pk, a.pk, both_hold, runs)]
    )

    assert len([r for r in results if isinstance(r, OperationalError)]) == 1, results


class DeadlockDetected(Exception):
    sqlstate = "40P01"  # what psycopg's error carries


def victim_every_time(calls):
    def work():
        calls.append(1)
        error = OperationalError("deadlock detected")
        error.__cause__ = DeadlockDetected()
        raise error

    return work


def test_a_victim_every_time_gives_up_after_three_runs():
    calls = []
    with pytest.raises(OperationalError):
        run_again_if_victim(victim_every_time(calls))
    assert len(calls) == 3


def test_inside_a_callers_transaction_it_runs_once():
    calls = []
    with pytest.raises(OperationalError), transaction.atomic():
        run_again_if_victim(victim_every_time(calls))
    assert len(calls) == 1
