"""What the campaigns app holds about a person: the messages sent to them, for the
export and the erasure that ``customers.privacy`` runs (registered by
``CampaignsConfig.ready``).

A message row keeps no address and no rendered text (both are made at send time);
its provider error may quote the address, so it goes. Messages still queued are
skipped: nothing more is sent to an erased person.
"""

from __future__ import annotations

from typing import Any

from campaigns.models import Message, MessageStatus
from customers.privacy import Erasure, PersonalData, Texts
from customers.selectors.export import iso

SKIPPED_FOR_ERASURE = "Not sent: the recipient's data was erased on request."


def export_messages(customer_ids: tuple[int, ...]) -> dict[str, Any]:
    """The campaign messages sent (or queued) to the person: ``campaign_messages``,
    apart from ``messages``, their conversations with their associate."""
    messages = (
        Message.objects.filter(customer_id__in=customer_ids)
        .select_related("campaign")
        .order_by("created_at", "id")
    )
    return {
        "campaign_messages": [
            {
                "campaign": m.campaign.name,
                "channel": m.channel,
                "status": m.status,
                "error": m.error,
                "created_at": iso(m.created_at),
                "sent_at": iso(m.sent_at),
                "delivered_at": iso(m.delivered_at),
                "opened_at": iso(m.opened_at),
                "clicked_at": iso(m.clicked_at),
                "unsubscribed_at": iso(m.unsubscribed_at),
            }
            for m in messages
        ]
    }


def erase_messages(erasure: Erasure) -> None:
    messages = Message.objects.filter(customer_id__in=erasure.customer_ids)
    messages.filter(status=MessageStatus.QUEUED).update(
        status=MessageStatus.SKIPPED, error=SKIPPED_FOR_ERASURE
    )
    messages.exclude(error="").exclude(error=SKIPPED_FOR_ERASURE).update(error="")


def personal_data() -> PersonalData:
    return PersonalData(
        name="campaigns",
        models={
            Message: Texts(erased=("error",), kept=("channel", "trigger_key", "status"))
        },
        export=export_messages,
        erase=erase_messages,
    )
