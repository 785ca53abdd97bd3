"""Real concurrency on PostgreSQL: two daily runs at once make each task once; two
associates taking one client at once leave it with one of them."""

import datetime as dt

import pytest

from customers.models import ClientTask, Customer, CustomerEvent
from customers.services.clientbook import assign_associate
from customers.services.tasks import generate_client_tasks
from omnistore.core.exceptions import Conflict
from tests.concurrency import run_parallel
from tests.customers.clientbook_people import client, people

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

TODAY = dt.date(2026, 3, 10)


def test_two_daily_runs_at_once_make_each_task_once():
    team = people()
    for n in range(5):
        customer = client(first_name=f"B{n}")
        assign_associate(customer=customer, associate=team.anna, actor=team.anna)
        customer.birthday = dt.date(1990, 3, 12)
        customer.save(update_fields=["birthday"])

    results = run_parallel([lambda: generate_client_tasks(today=TODAY)] * 2)

    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(r["birthday"] for r in results) == 5
    assert ClientTask.objects.count() == 5


def test_two_associates_taking_one_client_at_once_one_wins():
    team = people()
    giulia = client()

    results = run_parallel(
        [
            lambda: assign_associate(
                customer=giulia, associate=team.anna, actor=team.anna
            ),
            lambda: assign_associate(
                customer=giulia, associate=team.bruno, actor=team.bruno
            ),
        ]
    )

    refused = [r for r in results if isinstance(r, Exception)]
    assert len(refused) == 1 and isinstance(refused[0], Conflict)
    winner = Customer.objects.get(pk=giulia.pk).assigned_associate
    assert winner in (team.anna, team.bruno)
    assert (
        CustomerEvent.objects.filter(customer=giulia, kind="associate_assigned").count()
        == 1
    )
