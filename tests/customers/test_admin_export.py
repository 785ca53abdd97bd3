"""A person who asks for their data at a shop or by mail (a counter profile without a
login, too) gets it from HQ: the admin action "Export personal data" downloads the
same JSON file ``me/export`` gives, for one customer at a time, and the admin's
history records who exported whom, and when. Only HQ has it."""

from __future__ import annotations

import json

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.contrib.messages import get_messages

from customers.models import Customer
from customers.services.merge import merge_customers
from customers.services.timeline import add_note
from omnistore.accounts.models import Role
from omnistore.core.channels import Channel
from tests.customers.factories import CustomerUserFactory, make_customer
from tests.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/customers/customer/"


def exports_of(customer) -> list[LogEntry]:
    return list(
        LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(Customer),
            object_id=str(customer.pk),
        )
    )


def export(client, *customers):
    return client.post(
        CHANGELIST,
        {"action": "export_selected", "_selected_action": [c.pk for c in customers]},
    )


@pytest.fixture
def hq(client):
    user = UserFactory(username="hq-export", role=Role.HQ, is_staff=True)
    client.force_login(user)
    return user


def test_hq_downloads_the_same_file_the_person_gets_and_it_is_recorded(
    client, hq, api_client
):
    user = CustomerUserFactory(email="erika@example.net", first_name="Erika")
    customer = user.customer_profile
    add_note(customer=customer, text="Prefers silk", actor=StaffFactory())
    api_client.force_authenticate(user)
    own = api_client.get("/api/v1/me/export/").json()

    response = export(client, customer)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "attachment" in response["Content-Disposition"]
    assert f"customer-{customer.pk}-data.json" in response["Content-Disposition"]
    assert json.loads(response.content) == own
    (entry,) = exports_of(customer)
    assert entry.user == hq and entry.action_time is not None
    assert entry.get_change_message() == "Personal data exported (downloaded)"


def test_a_counter_profile_without_a_login_is_exported_through_its_live_person(
    client, hq
):
    live = make_customer(phone="+393331112233", first_name="Gina", channel="store")
    old = make_customer(email="gina.old@example.com", channel=Channel.STORE)
    merge_customers(survivor=live, other=old, actor=hq)

    response = export(client, old)

    data = json.loads(response.content)
    assert data["profile"]["id"] == live.pk and data["profile"]["login"] is None
    assert [p["id"] for p in data["profile"]["merged_profiles"]] == [old.pk]
    assert len(exports_of(live)) == 1


def test_more_than_one_customer_is_refused_with_a_message(client, hq):
    first = make_customer(email="one@example.com")
    second = make_customer(email="two@example.com")

    response = client.post(
        CHANGELIST,
        {"action": "export_selected", "_selected_action": [first.pk, second.pk]},
        follow=True,
    )

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    shown = " ".join(str(m) for m in get_messages(response.wsgi_request))
    assert "Select exactly one customer to export" in shown
    assert exports_of(first) == [] and exports_of(second) == []


@pytest.mark.parametrize("role", [Role.STORE_MANAGER, Role.AREA_MANAGER])
def test_managers_neither_see_nor_run_the_export(client, role):
    customer = make_customer(email="x@example.com")
    manager = StaffFactory(username=f"m-{role}", role=role, is_staff=True)
    client.force_login(manager)

    listing = client.get(CHANGELIST).content.decode()
    response = export(client, customer)

    assert "export_selected" not in listing
    assert not response.get("Content-Disposition")
    assert exports_of(customer) == []
