"""Opens, clicks and unsubscribes of sent messages, each on the customer's timeline.

An erased person's opens, clicks and unsubscribes are recorded nowhere: the pixel and
the links still answer, but no message time moves and nothing goes on the timeline
(their profile's ``is_anonymised``; an erasure marks the profiles merged into it too,
so a message of any of them is read the same way). A merged profile's message has
moved to the survivor with the merge, and its events go on the survivor's timeline."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from campaigns.channels import MessageChannel
from campaigns.models import Message
from campaigns.services.common import EVENT_CLICKED, EVENT_OPENED, REFERENCE
from customers.models import Customer
from customers.services.consents import set_consent
from customers.services.timeline import record_event
from omnistore.core.channels import Channel
from omnistore.core.exceptions import NotFound


def _message(message_id: int) -> Message:
    message = Message.objects.select_related("campaign").filter(pk=message_id).first()
    if message is None:
        raise NotFound("Message not found.")
    return message


def _recordable(message_id: int):
    """The message, while its customer was not erased: each write below is one
    conditional ``UPDATE`` through it, so an erased person's message never moves."""
    return Message.objects.filter(pk=message_id, customer__is_anonymised=False)


def record_open(*, message_id: int, now: datetime | None = None) -> bool:
    """The first open is kept and goes on the timeline; later ones change nothing."""
    now = now or timezone.now()
    with transaction.atomic():
        first = (
            _recordable(message_id).filter(opened_at__isnull=True).update(opened_at=now)
        )
        if not first:
            return False
        message = _message(message_id)
        record_event(
            customer=Customer(pk=message.customer_id),
            kind=EVENT_OPENED,
            summary=f"Opened {MessageChannel(message.channel).label}: "
            f"{message.campaign.name}"[:255],
            channel=message.channel,
            data={"campaign_id": message.campaign_id, "message_id": message.pk},
            reference_type=REFERENCE,
            reference_id=str(message.pk),
            occurred_at=now,
        )
    return True


def record_click(*, message_id: int, url: str, now: datetime | None = None) -> bool:
    """Every click moves ``last_clicked_at`` (attribution reads it); the first one also
    counts as an open and goes on the timeline."""
    now = now or timezone.now()
    with transaction.atomic():
        recordable = _recordable(message_id)
        first = recordable.filter(clicked_at__isnull=True).update(
            clicked_at=now, last_clicked_at=now
        )
        if not first:
            recordable.update(last_clicked_at=now)
            return False
        recordable.filter(opened_at__isnull=True).update(opened_at=now)
        message = _message(message_id)
        record_event(
            customer=Customer(pk=message.customer_id),
            kind=EVENT_CLICKED,
            summary=f"Clicked {MessageChannel(message.channel).label}: "
            f"{message.campaign.name}"[:255],
            channel=message.channel,
            data={
                "campaign_id": message.campaign_id,
                "message_id": message.pk,
                "url": url[:500],
            },
            reference_type=REFERENCE,
            reference_id=str(message.pk),
            occurred_at=now,
        )
    return True


def message_exists(message_id: int) -> bool:
    return Message.objects.filter(pk=message_id).exists()


@transaction.atomic
def unsubscribe(*, message_id: int, now: datetime | None = None) -> Message:
    """Withdraw the consent for the message's channel (through the customers app, so
    the history and the timeline say so); repeating it changes nothing. An erased
    person's consents were withdrawn with the erasure: their link writes nothing."""
    now = now or timezone.now()
    message = _message(message_id)
    recordable = _recordable(message.pk)
    if not recordable.exists():
        return message
    set_consent(
        customer=Customer(pk=message.customer_id),
        channel=message.channel,
        granted=False,
        source_channel=Channel.WEB,
    )
    recordable.filter(unsubscribed_at__isnull=True).update(unsubscribed_at=now)
    message.refresh_from_db(fields=["unsubscribed_at"])
    return message
