"""The data export holds both kinds of messages a person has: their conversations
with their associate (``messages``) and the campaign messages sent to them
(``campaign_messages``); neither hides the other."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from campaigns.models import Campaign, CampaignKind, MessageStatus
from campaigns.models import Message as CampaignMessage
from customers import privacy
from customers.privacy import PersonalData, register
from customers.selectors.export import export_customer_data
from customers.services.inbox import reply_to_customer, send_customer_message
from omnistore.core.channels import Channel
from tests.customers.inbox_fixtures import *  # noqa: F403

pytestmark = pytest.mark.django_db


def test_the_export_holds_associate_and_campaign_messages(
    api_client, shopper, customer, item, associate
):
    sent = send_customer_message(
        customer=customer,
        body="Is the blazer back in 42?",
        wishlist_item=item.pk,
        actor=shopper,
        channel=Channel.WEB,
    )
    consent(customer, "email")  # noqa: F405
    reply_to_customer(
        conversation=sent.conversation,
        body="Yes, from Friday.",
        channel="email",
        actor=associate,
    )
    campaign = Campaign.objects.create(
        name="Autumn edit", kind=CampaignKind.BROADCAST, channels=["email"]
    )
    CampaignMessage.objects.create(
        campaign=campaign,
        customer=customer,
        channel="email",
        status=MessageStatus.SENT,
    )
    api_client.force_authenticate(shopper)

    response = api_client.get(reverse("customers-api:me-export"))

    assert response.status_code == 200
    data = response.json()
    assert [(m["direction"], m["body"], m["associate"]) for m in data["messages"]] == [
        ("in", "Is the blazer back in 42?", "Giulia"),
        ("out", "Yes, from Friday.", "Giulia"),
    ]
    assert [(m["campaign"], m["status"]) for m in data["campaign_messages"]] == [
        ("Autumn edit", "sent")
    ]


@pytest.fixture
def app_exporting_messages_again():
    """An app whose export names a section the customers app already exports."""
    register(
        PersonalData(
            name="section-clash",
            models={},
            export=lambda ids: {"messages": []},
            erase=lambda erasure: None,
        )
    )
    yield
    privacy._registry.pop("section-clash", None)


def test_two_apps_exporting_one_section_name_is_refused_not_overwritten(
    customer, app_exporting_messages_again
):
    with pytest.raises(ImproperlyConfigured, match="messages"):
        export_customer_data(customer)
