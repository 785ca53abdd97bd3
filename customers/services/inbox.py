"""Messages between customers and associates.

A customer writes from the storefront (about a wishlist item or in general); the
message lands in the thread of the associate ``message_recipient`` picks. The
associate answers by email or SMS, each only with the customer's consent for that
channel and to an address they proved (``reply_routes``); the reply leaves through
the outbox after commit, and the route is checked again when it leaves. Every
message in and out is on the customer's timeline: who wrote to whom, where and about
which item, never its words. Staff of every shop read the timeline, while a thread
is for its associate and their managers only (``customers.selectors.inbox``).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone

from customers.models import (
    Conversation,
    Customer,
    Message,
    MessageChannel,
    MessageDirection,
    WishlistItem,
)
from customers.selectors.inbox import REPLY_CHANNELS, message_recipient, reply_routes
from customers.services.identities import lock_live_profile
from customers.services.texting import send_text
from customers.services.timeline import record_event
from omnistore.core import outbox
from omnistore.core.actors import acting_user
from omnistore.core.channels import Channel
from omnistore.core.digits import is_digits
from omnistore.core.exceptions import Conflict, NotFound, ValidationFailed
from omnistore.core.text import one_line

logger = logging.getLogger(__name__)

EVENT_MESSAGE_RECEIVED = "message_received"
EVENT_MESSAGE_SENT = "message_sent"
REPLY_TOPIC = "customers.message_reply"
MESSAGE_MAX = 2000
SMS_MAX = 612  # four concatenated parts


def clean_message_body(body, *, limit: int = MESSAGE_MAX, field: str = "body") -> str:
    """Trimmed text with its line breaks; control characters other than a line
    break or a tab are refused, like an empty or too long text."""
    text = str(body or "").replace("\r\n", "\n").strip()
    if not text:
        raise ValidationFailed("Write a message first.", extra={field: ["Required."]})
    if any(ord(ch) < 32 and ch not in "\n\t" for ch in text):
        raise ValidationFailed(
            "The message holds characters that cannot be sent.",
            extra={field: ["Remove control characters."]},
        )
    if len(text) > limit:
        raise ValidationFailed(
            "Keep the message short.",
            extra={field: [f"At most {limit} characters."]},
        )
    return text


def _customer_item(customer: Customer, item_id) -> WishlistItem:
    """An active item on one of the customer's open lists; anyone else's is 404."""
    pk = item_id.pk if isinstance(item_id, WishlistItem) else item_id
    item = None
    if is_digits(pk):
        item = (
            WishlistItem.objects.select_related(
                "variant", "added_by_staff__store", "added_at_location"
            )
            .filter(
                pk=pk,
                removed_at__isnull=True,
                wishlist__customer=customer,
                wishlist__archived_at__isnull=True,
            )
            .first()
        )
    if item is None:
        raise NotFound("This item is not on your lists.")
    return item


def _thread(customer: Customer, associate, *, location) -> Conversation:
    """The pair's newest thread, or a new one at ``location`` (else the associate's
    shop). The customer's row lock orders writers of the same customer."""
    thread = (
        Conversation.objects.filter(customer=customer, associate=associate)
        .order_by("-last_message_at", "-id")
        .first()
    )
    if thread is None:
        thread = Conversation.objects.create(
            customer=customer,
            associate=associate,
            location=location or associate.store,
        )
    return thread


@transaction.atomic
def send_customer_message(
    *, customer: Customer, body, wishlist_item=None, actor=None, channel: str
) -> Message:
    """A customer's message to their associate (about ``wishlist_item``, an item id
    of their own lists, or in general). Refused (409) when no associate can be
    reached yet."""
    body = clean_message_body(body)
    customer = lock_live_profile(customer)
    item = _customer_item(customer, wishlist_item) if wishlist_item else None
    associate = message_recipient(customer, wishlist_item=item)
    if associate is None:
        raise Conflict(
            "There is no associate to write to yet: ask in a shop.",
            code="no_associate",
        )
    location = item.added_at_location if item is not None else None
    thread = _thread(customer, associate, location=location)
    now = timezone.now()
    message = Message.objects.create(
        conversation=thread,
        direction=MessageDirection.IN,
        channel=MessageChannel.API,
        body=body,
        wishlist_item=item,
        author=acting_user(actor),
        created_at=now,
    )
    Conversation.objects.filter(pk=thread.pk).update(last_message_at=now)
    thread.last_message_at = now
    about = f" about {item.variant.name}" if item is not None else ""
    record_event(
        customer=customer,
        kind=EVENT_MESSAGE_RECEIVED,
        summary=f"Message to {associate.display_name}{about}",
        actor=actor,
        location=thread.location,
        channel=channel,
        data={
            "conversation_id": thread.pk,
            "message_id": message.pk,
            "wishlist_item_id": item.pk if item is not None else None,
        },
        reference_type="conversation",
        reference_id=str(thread.pk),
        locked=True,
    )
    return message


def reply_address(customer: Customer, channel: str) -> str:
    """Where a reply on ``channel`` goes, or "" when it cannot go there
    (``reply_routes`` says why)."""
    if channel not in REPLY_CHANNELS:
        return ""
    return reply_routes(customer)[channel].address


@transaction.atomic
def reply_to_customer(
    *, conversation: Conversation, body, channel: str, actor
) -> Message:
    """The associate's answer by email or SMS; the customer's messages in the thread
    count as read. Refused with a field error on ``channel`` naming why it cannot go
    there (``reply_routes``): no consent, no address, or an address the customer
    has not verified."""
    if channel not in REPLY_CHANNELS:
        raise ValidationFailed(
            "Reply by email or SMS.", extra={"channel": ["Choose email or SMS."]}
        )
    limit = SMS_MAX if channel == MessageChannel.SMS else MESSAGE_MAX
    body = clean_message_body(body, limit=limit)
    thread = Conversation.objects.select_for_update().filter(pk=conversation.pk).first()
    if thread is None:
        raise NotFound("Conversation not found.")
    customer = lock_live_profile(thread.customer_id)
    route = reply_routes(customer)[channel]
    if not route.address:
        raise ValidationFailed(
            route.refusal, code=route.code, extra={"channel": [route.field_error]}
        )
    address = route.address
    now = timezone.now()
    message = Message.objects.create(
        conversation=thread,
        direction=MessageDirection.OUT,
        channel=channel,
        body=body,
        author=acting_user(actor),
        sent_to=address,
        created_at=now,
    )
    thread.messages.filter(direction=MessageDirection.IN, read_at__isnull=True).update(
        read_at=now
    )
    Conversation.objects.filter(pk=thread.pk).update(last_message_at=now)
    outbox.enqueue(
        REPLY_TOPIC,
        {"message_id": message.pk},
        dedupe_key=f"{REPLY_TOPIC}:{message.pk}",
    )
    record_event(
        customer=customer,
        kind=EVENT_MESSAGE_SENT,
        summary=f"Reply by {MessageChannel(channel).label} from {actor.display_name}",
        actor=actor,
        location=thread.location,
        channel=Channel.STORE,
        data={"conversation_id": thread.pk, "message_id": message.pk},
        reference_type="conversation",
        reference_id=str(thread.pk),
        locked=True,
    )
    return message


def mark_conversation_read(*, conversation: Conversation, reader) -> int:
    """The thread's associate opened it: the customer's messages count as read. A
    manager looking in leaves them unread for the associate. Returns how many."""
    if reader is None or reader.pk != conversation.associate_id:
        return 0
    return conversation.messages.filter(
        direction=MessageDirection.IN, read_at__isnull=True
    ).update(read_at=timezone.now())


@outbox.handler(REPLY_TOPIC)
def deliver_reply(payload: dict) -> None:
    """Send a reply once; a customer erased or who withdrew consent meanwhile gets
    nothing (the message stays unsent on record)."""
    message = (
        Message.objects.select_related(
            "conversation__customer", "conversation__location", "author"
        )
        .filter(pk=payload["message_id"], sent_at__isnull=True)
        .first()
    )
    if message is None:
        return
    customer = message.conversation.customer
    if customer.is_anonymised:
        logger.info("message %s: not sent, the customer was erased", message.pk)
        return
    route = reply_routes(customer)[message.channel]
    if not route.address:
        logger.info("message %s: not sent, %s", message.pk, route.reason)
        return
    Message.objects.filter(pk=message.pk).update(sent_at=timezone.now())
    if message.channel == MessageChannel.EMAIL:
        shop = message.conversation.location
        sender = (
            one_line(message.author.first_name) if message.author else ""
        ) or "Your associate"
        where = f" at {shop.name}" if shop is not None else ""
        EmailMessage(
            subject=f"A message from {sender}{where}",
            body=message.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[message.sent_to],
        ).send()
        return
    result = send_text(message_id=message.pk, to=message.sent_to, body=message.body)
    if not result.ok:  # a number the provider refuses will not work on a retry
        logger.warning("message %s: SMS refused: %s", message.pk, result.error)
