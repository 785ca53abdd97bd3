"""Sending a broadcast: queue its audience, then deliver, under the campaign's lease."""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction
from django.db.models import Count
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
from campaigns.services.campaigns import hold_if_unready
from campaigns.services.common import (
    lock_campaign,
    record_status,
    release_lease,
    rows_per_batch,
    take_lease,
)
from campaigns.services.delivery import SendResult, deliver_queued, prepare_run
from campaigns.services.queueing import queue_stream

logger = logging.getLogger(__name__)


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
        if not _any_sent(held):
            reason = hold_if_unready(held)
            if reason:
                return SendResult(campaign_id=pk, held=reason)
        queued = _queue_broadcast(held, size=size, now=now)
        result = deliver_queued(prepare_run(held, now), size=size)
        result.queued = queued
        with transaction.atomic():
            campaign = lock_campaign(held.pk)
            left = Message.objects.filter(
                campaign=campaign, status=MessageStatus.QUEUED
            ).exists()
            if campaign.status == CampaignStatus.SENDING and not left:
                record_status(campaign, CampaignStatus.SENT, note=_outcome(campaign))
                campaign.finished_at = timezone.now()
                campaign.save(update_fields=["status", "finished_at", "updated_at"])
                result.finished = True
    finally:
        release_lease(held)
    return result


def _any_sent(campaign: Campaign) -> bool:
    """Whether a message of the broadcast has left: once one has, the rest follow
    with the same content."""
    return Message.objects.filter(campaign=campaign, status=MessageStatus.SENT).exists()


def _outcome(campaign: Campaign) -> str:
    """The note of a finished send: how many messages went and how many failed (a
    template failing on their data, a provider refusing them), so a send where every
    message failed does not read as a success."""
    counts = dict(
        Message.objects.filter(campaign=campaign)
        .values_list("status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    sent, failed = (
        counts.get(MessageStatus.SENT, 0),
        counts.get(MessageStatus.FAILED, 0),
    )
    if not failed:
        return "All messages sent"
    if not sent:
        return f"No message sent: all {failed:,} failed (each message says why)"
    return f"{sent:,} sent, {failed:,} failed (each message says why)"


def send_due_campaigns(*, now: datetime | None = None) -> list[int]:
    """Send every due broadcast here and now (the beat task sends each in a task of
    its own instead); returns the ids sent. Each campaign is a step of its own: one
    that fails is logged and left to the next pass, and the others still go."""
    now = now or timezone.now()
    sent = []
    for pk in due_campaigns(now=now):
        try:
            result = send_campaign(campaign=pk, now=now)
        except Exception:  # this campaign only: the next pass resumes it
            logger.exception("campaigns: sending campaign %s failed", pk)
            continue
        if not result.busy:
            sent.append(pk)
    return sent
