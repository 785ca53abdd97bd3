"""A message between a customer and their associate is read in its thread only: the
customer's timeline, which staff of every shop read, says who wrote to whom, where
and about which item, never the words, for messages written from now on and for
those written before. The customer still reads every word of their messages."""

from importlib import import_module

import pytest
from django.apps import apps
from django.urls import reverse

from customers.models import ConsentChannel, CustomerEvent
from customers.services.inbox import reply_to_customer
from customers.services.timeline import record_event
from tests.customers.inbox_fixtures import *  # noqa: F403
from tests.customers.inbox_fixtures import consent
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db

drop_message_words = import_module(
    "customers.migrations.0020_message_words_off_the_timeline"
).drop_message_words

ASKED = "Hello, is the cardigan in M too?"
ANSWERED = "Yes, the M is in the back room: shall I keep it for you?"


@pytest.fixture
def stranger(other_shop):
    """An associate of another shop: the customer's page is open to them, the thread
    is not."""
    return StaffFactory(first_name="Elena", last_name="Conti", store=other_shop)


@pytest.fixture
def conversation(api_client, shopper, customer, item, associate):
    """The customer asks about the item from the storefront, Giulia answers."""
    api_client.force_authenticate(shopper)
    response = api_client.post(
        reverse("customers-api:me-messages"),
        {"body": ASKED, "wishlist_item": item.pk},
        format="json",
    )
    assert response.status_code == 201, response.content
    thread = customer.conversations.get()
    consent(customer, ConsentChannel.EMAIL)
    reply_to_customer(
        conversation=thread, body=ANSWERED, channel="email", actor=associate
    )
    return thread


def staff_pages(client, user, customer) -> str:
    """The customer's page and its timeline as ``user`` reads them."""
    client.force_login(user)
    pages = [
        client.get(reverse(name, args=[customer.pk]))
        for name in ("staff:customer_detail", "staff:customer_timeline")
    ]
    assert [page.status_code for page in pages] == [200, 200]
    return "".join(page.content.decode() for page in pages)


def test_another_shops_associate_reads_who_wrote_but_not_the_words(
    client, stranger, customer, conversation
):
    client.force_login(stranger)
    thread_page = client.get(reverse("staff:inbox_thread", args=[conversation.pk]))
    assert thread_page.status_code == 404

    pages = staff_pages(client, stranger, customer)

    assert "Message to Giulia Bianchi about Blazer" in pages
    assert "Reply by Email from Giulia Bianchi" in pages
    assert "cardigan in M" not in pages
    assert "back room" not in pages


def test_the_customer_reads_their_messages_in_the_thread_and_the_export(
    api_client, shopper, conversation, blazer
):
    api_client.force_authenticate(shopper)

    summaries = {
        event["kind"]: event["summary"]
        for event in api_client.get("/api/v1/me/timeline/").json()["results"]
    }
    (thread,) = api_client.get(reverse("customers-api:me-messages")).json()
    export = api_client.get(reverse("customers-api:me-export")).json()

    assert summaries["message_received"] == f"Message to Giulia B. about {blazer.name}"
    assert summaries["message_sent"] == "Reply by Email from Giulia B."
    assert [m["body"] for m in thread["messages"]] == [ASKED, ANSWERED]
    assert [m["body"] for m in export["messages"]] == [ASKED, ANSWERED]


def _as_written_before(event: CustomerEvent, words: str) -> None:
    """The summary as the timeline stored it before: the first 80 characters of the
    words after a colon, the whole cut at 255."""
    flat = " ".join(words.split())
    excerpt = flat if len(flat) <= 80 else flat[:79] + "…"
    CustomerEvent.objects.filter(pk=event.pk).update(
        summary=f"{event.summary}: {excerpt}"[:255]
    )


def test_words_stored_on_the_timeline_before_are_taken_off(
    client, stranger, customer, associate, conversation, blazer
):
    received = CustomerEvent.objects.get(kind="message_received")
    replied = CustomerEvent.objects.get(kind="message_sent")
    _as_written_before(received, ASKED)
    _as_written_before(replied, ANSWERED)
    long_words = "Could you also check the Cashmere cardigan in grey? " * 6
    long_one = reply_to_customer(
        conversation=conversation, body=long_words, channel="email", actor=associate
    )
    cut = CustomerEvent.objects.get(data__message_id=long_one.pk)
    CustomerEvent.objects.filter(pk=cut.pk).update(summary="Reply " + "x" * 200)
    cut.refresh_from_db()
    _as_written_before(cut, long_words)
    other = record_event(
        customer=customer, kind="message_sent", summary="Email sent: Your order"
    )
    assert "cardigan in M" in staff_pages(client, stranger, customer)

    drop_message_words(apps, None)

    summaries = dict(
        CustomerEvent.objects.values_list("pk", "summary").filter(
            pk__in=[received.pk, replied.pk, cut.pk, other.pk]
        )
    )
    assert summaries == {
        received.pk: f"Message to Giulia Bianchi about {blazer.name}",
        replied.pk: "Reply by Email from Giulia Bianchi",
        cut.pk: "Reply " + "x" * 200,
        other.pk: "Email sent: Your order",
    }
    pages = staff_pages(client, stranger, customer)
    assert "cardigan" not in pages and "back room" not in pages
