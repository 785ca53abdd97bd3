"""The 360° page offers the form for a new task only to whom a task written there may
go: shop staff. HQ holds no tasks, so it is not offered one it could not send."""

import pytest
from django.urls import reverse

from tests.customers.clientbook_people import client as new_client
from tests.customers.clientbook_people import people

pytestmark = pytest.mark.django_db

NEW_TASK = 'data-testid="new-task"'


def page_of(django_client, user, customer) -> str:
    django_client.force_login(user)
    response = django_client.get(reverse("staff:customer_detail", args=[customer.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_hq_is_not_offered_a_task_form_and_shop_staff_are(client):
    team = people()
    giulia = new_client()

    hq_page = page_of(client, team.hq, giulia)
    assert 'data-testid="client-panel"' in hq_page
    assert NEW_TASK not in hq_page and "Add a task" not in hq_page

    for member in (team.anna, team.manager, team.area):
        page = page_of(client, member, giulia)
        assert NEW_TASK in page and "Add a task" in page
