"""A customer's own history and data export name associates by first name and
initial ("Giulia B."), as the rest of the customer API does, for events written
before and after; staff pages keep their colleagues' full names."""

import json

import pytest
from django.urls import reverse

from customers.models import ConsentChannel, CustomerEvent
from customers.services.clientbook import assign_associate
from customers.services.consents import set_consent
from customers.services.inbox import reply_to_customer, send_customer_message
from customers.services.timeline import record_event
from omnistore.core.channels import Channel
from tests.customers.inbox_fixtures import *  # noqa: F403

pytestmark = pytest.mark.django_db

TIMELINE_URL = "/api/v1/me/timeline/"


@pytest.fixture
def history(customer, shopper, associate, manager, shop, item):
    """Giulia Bianchi adds an item (``item``), records an email consent at her shop
    and answers the customer's message; her manager makes her the client's
    associate (a staff-only event, in the export alone)."""
    set_consent(
        customer=customer,
        channel=ConsentChannel.EMAIL,
        granted=True,
        source_channel=Channel.STORE,
        location=shop,
        actor=associate,
    )
    assign_associate(customer=customer, associate=associate, actor=manager)
    message = send_customer_message(
        customer=customer,
        body="Is it back in 42?",
        wishlist_item=item.pk,
        actor=shopper,
        channel=Channel.APP,
    )
    reply_to_customer(
        conversation=message.conversation,
        body="Yes, on Friday.",
        channel="email",
        actor=associate,
    )
    return customer


@pytest.fixture
def client_a(api_client, shopper):
    api_client.force_authenticate(shopper)
    return api_client


def test_my_timeline_names_the_associate_by_first_name_and_initial(
    client_a, history, django_assert_max_num_queries
):
    with django_assert_max_num_queries(5):
        response = client_a.get(TIMELINE_URL)

    assert response.status_code == 200
    events = response.json()["results"]
    assert "Bianchi" not in json.dumps(events)
    summary = {e["kind"]: e["summary"] for e in events}
    by = {e["kind"]: e["by"] for e in events}
    assert summary["wishlist_item_added"].endswith("— by Giulia B. at Milano Centro")
    assert summary["consent_granted"].endswith(", by Giulia B.)")
    assert summary["message_received"].startswith("Message to Giulia B. about Blazer")
    assert summary["message_sent"] == "Reply by Email from Giulia B."
    assert by["wishlist_item_added"] == by["message_sent"] == "Giulia B."
    assert by["message_received"] is None  # the customer wrote it


def test_my_data_export_names_associates_by_first_name_and_initial(client_a, history):
    response = client_a.get("/api/v1/me/export/")

    assert response.status_code == 200
    events = response.json()["events"]
    assert "Bianchi" not in json.dumps(events)
    summaries = [e["summary"] for e in events]
    assert "Client of Giulia B. (Milano Centro)" in summaries
    assert "Reply by Email from Giulia B." in summaries


def test_staff_keep_reading_full_names(client, history, associate):
    stored = set(CustomerEvent.objects.values_list("summary", flat=True))
    assert "Reply by Email from Giulia Bianchi" in stored

    client.force_login(associate)
    page = client.get(
        reverse("staff:customer_timeline", args=[history.pk])
    ).content.decode()

    assert "— by Giulia Bianchi at Milano Centro" in page
    assert "Message to Giulia Bianchi about Blazer" in page
    assert "by Giulia B." not in page


def test_a_name_inside_other_words_is_left_alone(client_a, customer, associate):
    """Only the associate's name as written is shortened, never a word that merely
    contains it."""
    associate.first_name, associate.last_name = "Ada", "Po"
    associate.save(update_fields=["first_name", "last_name"])
    record_event(
        customer=customer,
        kind="note_to_self",
        summary="Ada Polo asked; Ada Po answered",
        actor=associate,
    )
    (event,) = [
        e
        for e in client_a.get(TIMELINE_URL).json()["results"]
        if e["kind"] == "note_to_self"
    ]
    assert event["summary"] == "Ada Polo asked; Ada P. answered"
