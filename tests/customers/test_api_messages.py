"""The storefront side of messages: a wishlist item shows who added it and whether
they can be contacted; the customer writes to them and reads their threads; nobody
reaches another person's thread or item; hostile input is a 400; posting is
rate-limited."""

import pytest
from django.urls import reverse

from customers.models import Message
from customers.services.inbox import send_customer_message
from tests.customers.factories import CustomerUserFactory
from tests.customers.inbox_fixtures import *  # noqa: F403

pytestmark = pytest.mark.django_db

MESSAGES_URL = reverse("customers-api:me-messages")


def contact_url(item) -> str:
    return reverse(
        "customers-api:wishlist-item-contact", args=[item.wishlist_id, item.pk]
    )


def thread_url(pk) -> str:
    return reverse("customers-api:me-message-thread", args=[pk])


@pytest.fixture
def client_a(api_client, shopper):
    api_client.force_authenticate(shopper)
    return api_client


def test_the_wishlist_shows_who_added_an_item_and_that_they_can_be_contacted(
    client_a, item
):
    (wishlist,) = client_a.get(reverse("customers-api:wishlist-list")).json()["results"]
    (shown,) = wishlist["items"]
    assert shown["added_by"] == {
        "type": "staff",
        "name": "Giulia B.",
        "store": "Milano Centro",
    }
    assert shown["can_contact"] is True
    assert "email" not in str(shown["added_by"])


def test_contacting_the_associate_about_an_item_answers_with_the_thread(
    client_a, item, associate
):
    response = client_a.post(
        contact_url(item), {"body": "Is it back in 42?"}, format="json"
    )
    assert response.status_code == 201, response.json()
    thread = response.json()
    assert thread["associate"] == {"name": "Giulia B.", "store": "Milano Centro"}
    (message,) = thread["messages"]
    assert message["direction"] == "in" and message["body"] == "Is it back in 42?"
    assert message["wishlist_item"] == item.pk
    assert set(thread) == {"id", "associate", "last_message_at", "messages"}
    listed = client_a.get(MESSAGES_URL).json()
    assert [t["id"] for t in listed] == [thread["id"]]
    assert client_a.get(thread_url(thread["id"])).json() == listed[0]


def test_a_general_message_is_posted_to_my_messages(client_a, item, associate):
    response = client_a.post(
        MESSAGES_URL, {"body": "Hello", "wishlist_item": None}, format="json"
    )
    assert response.status_code == 201
    assert Message.objects.get().conversation.associate == associate


def test_nobody_to_write_to_is_a_409(api_client):
    user = CustomerUserFactory()
    api_client.force_authenticate(user)
    response = api_client.post(MESSAGES_URL, {"body": "Hello"}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "no_associate"


def test_another_persons_thread_and_item_are_not_found(
    api_client, client_a, customer, item
):
    thread = send_customer_message(customer=customer, body="Hi", channel="web")
    stranger = CustomerUserFactory()
    api_client.force_authenticate(stranger)
    assert api_client.get(thread_url(thread.conversation_id)).status_code == 404
    assert api_client.get(MESSAGES_URL).json() == []
    assert (
        api_client.post(contact_url(item), {"body": "Hi"}, format="json").status_code
        == 404
    )
    response = api_client.post(
        MESSAGES_URL, {"body": "Hi", "wishlist_item": item.pk}, format="json"
    )
    assert response.status_code == 404
    assert client_a.get(thread_url(999999)).status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"body": ""},
        {"body": 12},
        {"body": "x" * 2001},
        {"body": "hi\x00"},
        {"body": "hi\x1b[31m"},
        {"body": "hi", "wishlist_item": "abc"},
        {"body": "hi", "wishlist_item": -1},
        {"body": "hi", "wishlist_item": 10**30},
        {"body": ["hi"]},
    ],
)
def test_hostile_input_is_a_400(client_a, item, body):
    response = client_a.post(MESSAGES_URL, body, format="json")
    assert response.status_code == 400, response.content
    assert {"message", "code", "extra"} <= set(response.json())
    assert not Message.objects.exists()


def test_posting_is_rate_limited(client_a, item, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "customer_message": "2/hour",
        },
    }
    codes = [
        client_a.post(MESSAGES_URL, {"body": f"m{n}"}, format="json").status_code
        for n in range(3)
    ]
    assert codes == [201, 201, 429]
    assert client_a.get(MESSAGES_URL).status_code == 200


def test_only_messages_sent_use_up_the_quota(client_a, item, settings):
    """Reads and refused methods on the message endpoints take the API's usual
    limit, not the few messages an hour a customer may send."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "customer_message": "2/hour",
        },
    }
    for _ in range(3):
        assert client_a.get(contact_url(item)).status_code == 405
        assert client_a.options(contact_url(item)).status_code == 200
        assert client_a.get(MESSAGES_URL).status_code == 200
    sent = client_a.post(contact_url(item), {"body": "Hello"}, format="json")
    assert sent.status_code == 201, sent.json()
    again = client_a.post(MESSAGES_URL, {"body": "And again"}, format="json")
    assert again.status_code == 201, again.json()
    assert client_a.post(MESSAGES_URL, {"body": "Once more"}).status_code == 429


def test_signed_out_visitors_are_turned_away(api_client):
    assert api_client.get(MESSAGES_URL).status_code in (401, 403)
    assert api_client.post(MESSAGES_URL, {"body": "x"}, format="json").status_code in (
        401,
        403,
    )


def test_listing_threads_takes_a_fixed_number_of_queries(
    client_a, customer, item, colleague, django_assert_num_queries
):
    from customers.services.wishlists import add_wishlist_item
    from tests.factories import VariantFactory

    send_customer_message(
        customer=customer, body="a", wishlist_item=item.pk, channel="web"
    )
    other = add_wishlist_item(
        customer=customer, variant=VariantFactory(), actor=colleague, channel="store"
    ).item
    send_customer_message(
        customer=customer, body="b", wishlist_item=other.pk, channel="web"
    )
    client_a.get(MESSAGES_URL)  # warm the session/profile caches
    with django_assert_num_queries(3):
        assert len(client_a.get(MESSAGES_URL).json()) == 2
