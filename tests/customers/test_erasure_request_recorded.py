"""An erasure records why, not only who and when: HQ's admin erasure asks for the
request it answers (required) and writes it on each person's timeline and in the
admin's history; the person's own erasure through the API says it was requested by
them, the same way."""

from __future__ import annotations

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType

from customers.models import Customer, CustomerEvent
from omnistore.accounts.models import Role
from tests.customers.factories import CustomerUserFactory, make_customer
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/customers/customer/"


def admin_history(customer) -> list[LogEntry]:
    return list(
        LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(Customer),
            object_id=str(customer.pk),
        )
    )


@pytest.fixture
def hq(client):
    user = UserFactory(username="hq-reason", role=Role.HQ, is_staff=True)
    client.force_login(user)
    return user


def test_hq_confirming_without_a_reason_is_asked_for_it_and_nothing_is_erased(
    client, hq
):
    customer = make_customer(email="ida@example.com", first_name="Ida")

    response = client.post(
        CHANGELIST,
        {
            "action": "erase_selected",
            "_selected_action": [customer.pk],
            "confirm": "erase",
            "reason": "   ",
        },
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "This field is required" in page and "ida@example.com" in page
    customer.refresh_from_db()
    assert not customer.is_anonymised
    assert admin_history(customer) == []


def test_hq_erasure_records_the_request_on_each_timeline_and_in_the_admin_history(
    client, hq
):
    first = make_customer(email="one@example.com")
    second = make_customer(email="two@example.com")
    reason = "Letter of 2 March, ref. PR-118"

    client.post(
        CHANGELIST,
        {
            "action": "erase_selected",
            "_selected_action": [first.pk, second.pk],
            "confirm": "erase",
            "reason": reason,
        },
    )

    for customer in (first, second):
        customer.refresh_from_db()
        assert customer.is_anonymised
        event = CustomerEvent.objects.get(customer=customer, kind="customer_erased")
        assert event.actor == hq and event.channel == "store"
        assert event.summary == f"Personal data erased on request: {reason}"
        assert event.data == {"reason": reason, "forfeited": {}}
        (entry,) = admin_history(customer)
        assert entry.user == hq and entry.action_time is not None
        assert entry.get_change_message() == f"Personal data erased: {reason}"


def test_the_persons_own_erasure_says_it_was_requested_by_them(api_client):
    user = CustomerUserFactory(email="self@example.com")
    api_client.force_authenticate(user)

    assert api_client.post("/api/v1/me/erase/", {"confirm": True}).status_code == 200

    event = CustomerEvent.objects.get(
        customer=user.customer_profile, kind="customer_erased"
    )
    assert event.actor == user
    assert event.summary == "Personal data erased on request: Requested by the customer"
    assert event.data["reason"] == "Requested by the customer"
