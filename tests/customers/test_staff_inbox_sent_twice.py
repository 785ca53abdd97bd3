"""A reply to a customer sent twice (a double tap, a resent request) reaches them
once; a reply refused for a reason the associate can correct goes through once
corrected, with the same form."""

import pytest
from django.urls import reverse

from customers.models import ConsentChannel, CustomerEvent, Message
from customers.services.inbox import REPLY_TOPIC, send_customer_message
from omnistore.core.models import OutboxMessage
from omnistore.staff.once import ALREADY, new_token
from tests.customers.inbox_fixtures import *  # noqa: F403
from tests.customers.inbox_fixtures import consent

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def thread(customer, item):
    return send_customer_message(
        customer=customer,
        body="Is it back in 42?",
        wishlist_item=item.pk,
        channel="web",
    ).conversation


def reply_url(thread) -> str:
    return reverse("staff:inbox_reply", args=[thread.pk])


def sent() -> tuple[int, int, int]:
    return (
        Message.objects.filter(direction="out").count(),
        CustomerEvent.objects.filter(kind="message_sent").count(),
        OutboxMessage.objects.filter(topic=REPLY_TOPIC).count(),
    )


def test_the_same_sms_reply_sent_twice_goes_once(client, associate, customer, thread):
    consent(customer, ConsentChannel.SMS)
    client.force_login(associate)
    page = client.get(reverse("staff:inbox_thread", args=[thread.pk]))
    assert 'name="once"' in page.content.decode()
    data = {"channel": "sms", "body": "Yes, from Friday.", "once": new_token()}
    assert client.post(reply_url(thread), data).status_code == 302
    before = sent()
    assert before[0] == 1
    again = client.post(reply_url(thread), data, **HTMX)
    assert again.status_code == 422
    assert ALREADY in again.content.decode()
    assert sent() == before


def test_a_refused_reply_corrected_goes_with_the_same_form(
    client, associate, customer, thread
):
    consent(customer, ConsentChannel.EMAIL)
    client.force_login(associate)
    data = {"channel": "sms", "body": "Yes, from Friday.", "once": new_token()}
    refused = client.post(reply_url(thread), data, **HTMX)
    assert refused.status_code == 422 and "No SMS consent" in refused.content.decode()
    assert sent()[0] == 0
    response = client.post(reply_url(thread), {**data, "channel": "email"})
    assert response.status_code == 302
    assert Message.objects.get(direction="out").channel == "email"
