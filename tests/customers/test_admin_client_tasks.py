"""Client tasks in the admin: read-only, filtered, a manager sees their shop's only."""

import datetime as dt

import pytest
from django.urls import reverse

from customers.models import ClientTask
from tests.customers.clientbook_people import client as new_client
from tests.customers.clientbook_people import people

pytestmark = pytest.mark.django_db


def test_managers_see_their_shops_tasks_read_only(
    client, django_assert_max_num_queries
):
    team = people()
    mine = ClientTask.objects.create(
        kind="manual",
        customer=new_client(),
        assignee=team.anna,
        shop=team.brera,
        title="Brera call",
        due_on=dt.date(2026, 3, 1),
    )
    theirs = ClientTask.objects.create(
        kind="birthday",
        customer=new_client(),
        assignee=team.carla,
        shop=team.roma,
        title="Roma birthday",
        due_on=dt.date(2026, 3, 2),
        occurrence="birthday:2026",
    )
    for n in range(5):
        ClientTask.objects.create(
            kind="manual",
            customer=new_client(),
            assignee=team.bruno,
            shop=team.brera,
            title=f"More {n}",
            due_on=dt.date(2026, 3, 3),
        )
    client.force_login(team.manager)
    listing = reverse("admin:customers_clienttask_changelist")
    with django_assert_max_num_queries(14):
        response = client.get(listing, {"status__exact": "open"})
    assert response.status_code == 200
    assert (
        b"Brera call" in response.content and b"Roma birthday" not in response.content
    )
    page = client.get(reverse("admin:customers_clienttask_change", args=[mine.pk]))
    assert page.status_code == 200 and b'name="_save"' not in page.content
    assert (
        client.get(
            reverse("admin:customers_clienttask_change", args=[theirs.pk])
        ).status_code
        == 404
    )
    assert client.get(reverse("admin:customers_clienttask_add")).status_code == 403
