"""Sending a broadcast: queue its audience, then deliver, under the campaign's lease."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from campaigns.models import (
    Campaign,
    CampaignKind,
    CampaignStatus,
    Message,
    MessageStatus,
)
from campaigns.selectors.audiences import campaign_audience
from campaigns.selectors.sending import due_campaigns
from campaigns.services.common import (
    lock_campaign,
    record_status,
    release_lease,
    rows_per_batch,
    take_lease,
)
from campaigns.services.delivery import SendResult, deliver_queued, prepare_run
from campaigns.services.queueing import queue_stream


def _queue_broadcast(campaign: Campaign, *, size: int, now: datetime) -> int:
    audience = campaign_audience(campaign, now=now)
    return queue_stream(
        campaign, audience, [], lambda r: (r[0], "", *r[1:]), size=size, now=now
    )


def send_campaign(
    *,
    campaign: Campaign | int,
    now: datetime | None = None,
    batch_size: int | None = None,
) -> SendResult:
    """Send a due broadcast: queue every reachable customer of its segment, then deliver.

    Safe to run again or twice at once: the second run finds the lease taken, a later
    one sends only what is still queued. Not atomic as a whole on purpose: each batch
    commits, so progress survives a crash.
    """
    now = now or timezone.now()
    pk = campaign.pk if isinstance(campaign, Campaign) else int(campaign)
    held = take_lease(
        pk, statuses=[CampaignStatus.SCHEDULED, CampaignStatus.SENDING], now=now
    )
    if held is None or held.kind != CampaignKind.BROADCAST:
        return SendResult(campaign_id=pk, busy=True)
    size = rows_per_batch(batch_size)
    try:
        queued = _queue_broadcast(held, size=size, now=now)
        result = deliver_queued(prepare_run(held, now), size=size)
        result.queued = queued
        with transaction.atomic():
            campaign = lock_campaign(held.pk)
            left = Message.objects.filter(
                campaign=campaign, status=MessageStatus.QUEUED
            ).exists()
            if campaign.status == CampaignStatus.SENDING and not left:
                record_status(campaign, CampaignStatus.SENT, note="All messages sent")
                campaign.finished_at = timezone.now()
                campaign.save(update_fields=["status", "finished_at", "updated_at"])
                result.finished = True
    finally:
        release_lease(held)
    return result


def send_due_campaigns(*, now: datetime | None = None) -> list[int]:
    """Send every due broadcast here and now (the beat task sends each in a task of
    its own instead); returns the ids sent."""
    now = now or timezone.now()
    due = due_campaigns(now=now)
    return [pk for pk in due if not send_campaign(campaign=pk, now=now).busy]
