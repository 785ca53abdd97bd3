"""Messages between a customer and their associate: routing, threads, replies within
consents, delivery through the outbox, the timeline and erasure."""

import pytest
from django.core import mail

from campaigns.backends import MemoryBackend
from customers.models import ConsentChannel, CustomerEvent, Message
from customers.selectors.inbox import staff_conversations, unread_count
from customers.services.erasure import erase_customer
from customers.services.inbox import (
    EVENT_MESSAGE_RECEIVED,
    EVENT_MESSAGE_SENT,
    mark_conversation_read,
    reply_to_customer,
    send_customer_message,
)
from customers.services.wishlists import add_wishlist_item
from omnistore.core import outbox
from omnistore.core.channels import Channel
from omnistore.core.exceptions import Conflict, NotFound, ValidationFailed
from tests.customers.factories import make_customer
from tests.customers.inbox_fixtures import *  # noqa: F403
from tests.customers.inbox_fixtures import consent
from tests.factories import StaffFactory, VariantFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def sms_in_memory(settings):
    settings.OMNISTORE_SMS_BACKEND = "campaigns.backends.MemoryBackend"
    MemoryBackend.reset()


def deliver() -> None:
    for _ in range(5):
        if not outbox.drain():
            break


def test_a_message_about_an_item_goes_to_the_associate_who_added_it(
    customer, shopper, item, associate, colleague, shop
):
    # The colleague added something later: the item's own associate still gets it.
    add_wishlist_item(
        customer=customer, variant=VariantFactory(), actor=colleague, channel="store"
    )
    message = send_customer_message(
        customer=customer,
        body="  Is the navy one back in 42?\nThanks  ",
        wishlist_item=item.pk,
        actor=shopper,
        channel=Channel.WEB,
    )
    thread = message.conversation
    assert thread.associate == associate and thread.location == shop
    assert message.direction == "in" and message.channel == "api"
    assert message.body == "Is the navy one back in 42?\nThanks"
    assert message.wishlist_item == item and message.author == shopper
    event = CustomerEvent.objects.get(customer=customer, kind=EVENT_MESSAGE_RECEIVED)
    assert event.summary.startswith("Message to Giulia Bianchi about Blazer")
    assert event.data["conversation_id"] == thread.pk
    assert event.channel == Channel.WEB and event.location == shop


def test_a_general_message_goes_to_the_associate_who_added_to_their_lists_last(
    customer, item, colleague
):
    add_wishlist_item(
        customer=customer, variant=VariantFactory(), actor=colleague, channel="store"
    )
    first = send_customer_message(customer=customer, body="Hi", channel=Channel.APP)
    second = send_customer_message(customer=customer, body="Again", channel="app")
    assert first.conversation.associate == colleague
    assert second.conversation_id == first.conversation_id


def test_an_associate_who_left_is_skipped_and_nobody_to_write_to_is_refused(
    customer, item, associate
):
    associate.is_active = False
    associate.save(update_fields=["is_active"])
    with pytest.raises(Conflict) as refused:
        send_customer_message(
            customer=customer, body="Hello", wishlist_item=item.pk, channel="web"
        )
    assert refused.value.code == "no_associate"
    assert not Message.objects.exists()


@pytest.mark.parametrize(
    "body,field_error",
    [
        ("   ", "Required."),
        ("x" * 2001, "At most 2000 characters."),
        ("bell\x07", "Remove control characters."),
    ],
)
def test_empty_long_or_control_character_messages_are_refused(
    customer, item, body, field_error
):
    with pytest.raises(ValidationFailed) as refused:
        send_customer_message(customer=customer, body=body, channel="web")
    assert refused.value.extra == {"body": [field_error]}


def test_another_customers_item_is_not_found(item, associate):
    stranger = make_customer(email="someone@example.com")
    with pytest.raises(NotFound):
        send_customer_message(
            customer=stranger, body="Hi", wishlist_item=item.pk, channel="web"
        )


def test_a_reply_needs_the_consent_for_its_channel(customer, item, associate):
    message = send_customer_message(customer=customer, body="Hi", channel="web")
    consent(customer, ConsentChannel.EMAIL, granted=False)
    for channel in ("email", "sms"):
        with pytest.raises(ValidationFailed) as refused:
            reply_to_customer(
                conversation=message.conversation,
                body="Yes, it is back.",
                channel=channel,
                actor=associate,
            )
        assert refused.value.code == "no_consent"
        assert "channel" in refused.value.extra
    with pytest.raises(ValidationFailed):
        reply_to_customer(
            conversation=message.conversation, body="Hi", channel="api", actor=associate
        )
    assert Message.objects.filter(direction="out").count() == 0
    deliver()
    assert mail.outbox == [] and list(MemoryBackend.outbox) == []


def test_an_email_reply_leaves_after_commit_and_marks_the_thread_read(
    customer, item, associate, shop
):
    message = send_customer_message(customer=customer, body="Hi", channel="web")
    assert unread_count(associate) == 1
    consent(customer, ConsentChannel.EMAIL)
    reply = reply_to_customer(
        conversation=message.conversation,
        body="Yes, it is back in 42.",
        channel="email",
        actor=associate,
    )
    assert reply.direction == "out" and reply.sent_to == customer.email
    assert unread_count(associate) == 0
    assert mail.outbox == []
    deliver()
    (email,) = mail.outbox
    assert email.to == [customer.email]
    assert email.subject == "A message from Giulia at Milano Centro"
    assert email.body == "Yes, it is back in 42."
    reply.refresh_from_db()
    assert reply.sent_at is not None
    deliver()
    assert len(mail.outbox) == 1
    event = CustomerEvent.objects.get(customer=customer, kind=EVENT_MESSAGE_SENT)
    assert event.actor == associate and event.location == shop
    assert event.summary == "Reply by Email from Giulia Bianchi"


def test_an_sms_reply_goes_to_the_phone_and_is_kept_short(customer, item, associate):
    message = send_customer_message(customer=customer, body="Hi", channel="web")
    consent(customer, ConsentChannel.SMS)
    with pytest.raises(ValidationFailed):
        reply_to_customer(
            conversation=message.conversation,
            body="x" * 613,
            channel="sms",
            actor=associate,
        )
    reply_to_customer(
        conversation=message.conversation,
        body="Ready for you on Saturday.",
        channel="sms",
        actor=associate,
    )
    deliver()
    (sms,) = MemoryBackend.outbox
    assert sms.to == "+393471234567" and sms.body == "Ready for you on Saturday."


def test_a_reply_is_not_sent_when_consent_is_withdrawn_before_it_leaves(
    customer, item, associate
):
    message = send_customer_message(customer=customer, body="Hi", channel="web")
    consent(customer, ConsentChannel.EMAIL)
    reply = reply_to_customer(
        conversation=message.conversation,
        body="Hello",
        channel="email",
        actor=associate,
    )
    consent(customer, ConsentChannel.EMAIL, granted=False)
    deliver()
    assert mail.outbox == []
    reply.refresh_from_db()
    assert reply.sent_at is None


def test_staff_read_their_own_threads_and_managers_their_shops(
    customer, item, associate, colleague, manager, other_manager
):
    thread = send_customer_message(
        customer=customer, body="Hi", channel="web"
    ).conversation
    assert [t.pk for t in staff_conversations(associate)] == [thread.pk]
    assert list(staff_conversations(colleague)) == []
    assert [t.pk for t in staff_conversations(manager)] == [thread.pk]
    assert list(staff_conversations(other_manager)) == []
    hq = StaffFactory(role="hq", store=None)
    assert [t.pk for t in staff_conversations(hq)] == [thread.pk]
    assert unread_count(manager) == 1 and unread_count(colleague) == 0
    # A manager looking in leaves the message unread for the associate.
    assert mark_conversation_read(conversation=thread, reader=manager) == 0
    assert unread_count(associate) == 1
    assert mark_conversation_read(conversation=thread, reader=associate) == 1
    assert unread_count(associate) == 0


def test_erasure_blanks_the_words_and_keeps_the_record(customer, item, associate):
    message = send_customer_message(customer=customer, body="My size", channel="web")
    consent(customer, ConsentChannel.EMAIL)
    reply = reply_to_customer(
        conversation=message.conversation,
        body="Noted",
        channel="email",
        actor=associate,
    )
    erase_customer(customer=customer)
    message.refresh_from_db()
    reply.refresh_from_db()
    assert message.body != "My size" and reply.body != "Noted"
    assert reply.sent_to == "" and reply.channel == "email"
    deliver()
    assert mail.outbox == []


def test_a_merge_carries_the_threads_to_the_surviving_profile(
    customer, item, associate
):
    from customers.services.merge import merge_customers

    message = send_customer_message(customer=customer, body="Hi", channel="web")
    survivor = make_customer(email="martina.other@example.com", first_name="Martina")
    merge_customers(survivor=survivor, other=customer, actor=associate)
    message.conversation.refresh_from_db()
    assert message.conversation.customer == survivor
    again = send_customer_message(customer=survivor, body="Me again", channel="web")
    assert again.conversation_id == message.conversation_id


def test_no_reply_goes_to_a_phone_typed_online_and_never_proven(
    customer, item, associate
):
    """A number typed at sign-up may be someone else's: until the customer proves it,
    an SMS reply is refused, even with their consent to SMS."""
    message = send_customer_message(customer=customer, body="Hi", channel="web")
    consent(customer, ConsentChannel.SMS)
    customer.identities.filter(kind="phone").update(verified=False, channel="web")

    with pytest.raises(ValidationFailed):
        reply_to_customer(
            conversation=message.conversation,
            body="Ready for you on Saturday.",
            channel="sms",
            actor=associate,
        )
    deliver()
    assert not MemoryBackend.outbox


@pytest.mark.parametrize(
    "by, unproven, code, field_error",
    [
        (
            "email",
            "email",
            "email_not_verified",
            "Email address not verified: ask the customer to confirm it.",
        ),
        (
            "sms",
            "phone",
            "phone_not_verified",
            "Phone number not verified: ask the customer to confirm it.",
        ),
    ],
)
def test_a_reply_with_consent_to_an_address_never_verified_is_refused_as_such(
    customer, item, associate, by, unproven, code, field_error
):
    message = send_customer_message(customer=customer, body="Hi", channel="web")
    consent(customer, ConsentChannel.EMAIL)
    consent(customer, ConsentChannel.SMS)
    customer.identities.filter(kind=unproven).update(verified=False, channel="web")

    with pytest.raises(ValidationFailed) as refused:
        reply_to_customer(
            conversation=message.conversation, body="Hi", channel=by, actor=associate
        )

    assert refused.value.code == code
    assert refused.value.extra == {"channel": [field_error]}
    assert "has not agreed" not in refused.value.message


def test_a_reply_by_sms_to_a_profile_without_a_phone_says_there_is_none(
    customer, item, associate
):
    message = send_customer_message(customer=customer, body="Hi", channel="web")
    consent(customer, ConsentChannel.SMS)
    customer.phone = ""
    customer.save(update_fields=["phone"])

    with pytest.raises(ValidationFailed) as refused:
        reply_to_customer(
            conversation=message.conversation, body="Hi", channel="sms", actor=associate
        )

    assert refused.value.code == "no_address"
    assert refused.value.extra == {"channel": ["No phone number on the profile."]}
