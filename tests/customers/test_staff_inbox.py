"""The associate's inbox in the staff UI: the unread badge, own threads only (a
store manager sees the shop's), the thread page, replies within consents (a form
error otherwise), and the messages on the customer's timeline."""

import pytest
from django.core import mail
from django.urls import reverse

from customers.models import ConsentChannel, CustomerEvent, Message
from customers.services.inbox import send_customer_message
from omnistore.core import outbox
from omnistore.staff.once import new_token
from tests.customers.inbox_fixtures import *  # noqa: F403
from tests.customers.inbox_fixtures import consent
from tests.factories import VariantFactory

pytestmark = pytest.mark.django_db

INBOX = reverse("staff:inbox")
UNREAD = reverse("staff:inbox_unread")
HTMX = {"HTTP_HX_REQUEST": "true"}


def thread_url(thread) -> str:
    return reverse("staff:inbox_thread", args=[thread.pk])


def reply_url(thread) -> str:
    return reverse("staff:inbox_reply", args=[thread.pk])


@pytest.fixture
def thread(customer, item):
    return send_customer_message(
        customer=customer,
        body="Is the navy blazer back in 42?",
        wishlist_item=item.pk,
        channel="web",
    ).conversation


def signed_in(client, user):
    client.force_login(user)
    return client


def test_the_nav_links_the_inbox_and_loads_the_unread_count_apart(
    client, associate, thread
):
    signed_in(client, associate)
    page = client.get(reverse("staff:dashboard")).content.decode()
    assert f'href="{INBOX}"' in page and f'hx-get="{UNREAD}"' in page
    badge = client.get(UNREAD, **HTMX).content.decode()
    assert 'data-testid="inbox-unread"' in badge and ">1<" in badge


def test_an_associate_lists_their_threads_and_a_colleague_sees_none(
    client, associate, colleague, thread, customer
):
    page = signed_in(client, associate).get(INBOX).content.decode()
    assert "Martina Ferrari" in page and "1 new" in page
    assert thread_url(thread) in page
    client.logout()
    signed_in(client, colleague)
    page = client.get(INBOX).content.decode()
    assert 'data-testid="inbox-empty"' in page
    assert client.get(thread_url(thread)).status_code == 404
    response = client.post(reply_url(thread), {"channel": "email", "body": "x"})
    assert response.status_code == 404
    assert client.get(UNREAD).content.decode().strip() == ""


def test_the_store_manager_sees_the_shops_threads_and_another_shops_does_not(
    client, manager, other_manager, thread
):
    signed_in(client, manager)
    assert thread_url(thread) in client.get(INBOX).content.decode()
    assert client.get(thread_url(thread)).status_code == 200
    # Looking in leaves it unread for the associate.
    assert Message.objects.filter(read_at__isnull=True).count() == 1
    client.logout()
    signed_in(client, other_manager)
    assert thread_url(thread) not in client.get(INBOX).content.decode()
    assert client.get(thread_url(thread)).status_code == 404


def test_opening_the_thread_shows_the_item_and_marks_it_read(client, associate, thread):
    page = signed_in(client, associate).get(thread_url(thread)).content.decode()
    assert "Is the navy blazer back in 42?" in page
    assert 'data-testid="message-about"' in page and "BLZ-40" in page
    assert Message.objects.get().read_at is not None
    assert client.get(UNREAD).content.decode().strip() == ""


def test_a_reply_without_consent_is_refused_with_a_form_error(
    client, associate, thread, customer
):
    signed_in(client, associate)
    page = client.get(thread_url(thread)).content.decode()
    assert 'data-testid="no-channel"' in page
    response = client.post(
        reply_url(thread),
        {"channel": "sms", "body": "Yes it is.", "once": new_token()},
        **HTMX,
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert 'data-testid="error-channel"' in body and "No SMS consent" in body
    assert not Message.objects.filter(direction="out").exists()


def test_a_reply_by_email_with_consent_is_sent_and_on_the_timeline(
    client, associate, thread, customer
):
    consent(customer, ConsentChannel.EMAIL)
    signed_in(client, associate)
    response = client.post(
        reply_url(thread),
        {"channel": "email", "body": "Yes, back on Friday.", "once": new_token()},
    )
    assert response.status_code == 302
    outbox.drain()
    (email,) = mail.outbox
    assert email.body == "Yes, back on Friday." and email.to == [customer.email]
    page = client.get(thread_url(thread)).content.decode()
    assert "Yes, back on Friday." in page and "Email by Giulia Bianchi" in page
    timeline = client.get(
        reverse("staff:customer_timeline", args=[customer.pk])
    ).content.decode()
    assert "Message to Giulia Bianchi about Blazer" in timeline
    assert "Reply by Email from Giulia Bianchi" in timeline
    kinds = set(CustomerEvent.objects.values_list("kind", flat=True))
    assert {"message_received", "message_sent"} <= kinds


@pytest.mark.parametrize(
    "data", [{}, {"channel": "fax", "body": "x"}, {"channel": "email", "body": ""}]
)
def test_bad_reply_input_is_a_422_not_a_500(client, associate, thread, data):
    signed_in(client, associate)
    assert client.post(reply_url(thread), data, **HTMX).status_code == 422


def test_the_inbox_takes_a_fixed_number_of_queries(
    client, associate, customer, thread, colleague, django_assert_num_queries
):
    from customers.services.wishlists import add_wishlist_item
    from tests.customers.factories import make_customer

    for n in range(3):
        other = make_customer(email=f"c{n}@example.com", first_name=f"C{n}")
        item = add_wishlist_item(
            customer=other, variant=VariantFactory(), actor=associate, channel="store"
        ).item
        send_customer_message(
            customer=other, body="Hi", wishlist_item=item.pk, channel="web"
        )
    signed_in(client, associate)
    client.get(INBOX)
    with django_assert_num_queries(4):
        page = client.get(INBOX).content.decode()
    assert page.count('data-testid="inbox-thread"') == 4


def test_signed_out_visitors_go_to_sign_in(client, thread):
    assert client.get(INBOX).status_code == 302
    assert client.get(thread_url(thread)).status_code == 302
