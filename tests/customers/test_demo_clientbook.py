"""Demo client books: every demo associate has clients of their shop and tasks; the
demo customer is Giulia's; a second run changes nothing."""

from io import StringIO

import pytest

from customers import demo
from customers.demo_clientbook import seed_client_book
from customers.models import ClientTask, Customer, TaskStatus
from inventory.demo import seed_inventory
from omnistore.accounts.models import Role, User

pytestmark = pytest.mark.django_db


def test_demo_associates_get_clients_and_tasks_once():
    seed_inventory(scale=1)
    demo.seed_customers(scale=1)
    out = StringIO()
    counts = seed_client_book(stdout=out)

    associates = User.objects.filter(role=Role.ASSOCIATE)
    assert (
        counts["clients"]
        == Customer.objects.filter(assigned_associate__isnull=False).count()
    )
    for associate in associates:
        clients = Customer.objects.filter(assigned_associate=associate)
        assert clients.exists(), associate.username
        assert ClientTask.objects.filter(assignee=associate, kind="manual").count() == 2
        assert ClientTask.objects.filter(assignee=associate, kind="birthday").exists()
    giulia = User.objects.get(username="associate")
    assert (
        Customer.objects.get(email="customer@example.com").assigned_associate == giulia
    )
    assert (
        ClientTask.objects.filter(status=TaskStatus.SNOOZED).count()
        == associates.count()
    )
    assert "Client book:" in out.getvalue()

    assert seed_client_book() == {}
    assert ClientTask.objects.count() == counts["tasks"]
