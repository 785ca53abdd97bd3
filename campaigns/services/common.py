"""What the campaign state machines share: the status history, the row lock, the
send lease that keeps two runs of one campaign apart, and the timeline vocabulary.

The lease is short (``OMNISTORE_CAMPAIGN_LEASE_SECONDS``) and renewed by a heartbeat
thread of the run holding it, every third of the lease, however long a batch takes: a
run whose worker died lets go within one lease, and the next due-campaigns pass (or a
restarted worker) resumes it from the messages still queued.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from campaigns.models import Campaign, CampaignStatus, CampaignStatusChange
from omnistore.core.actors import acting_user
from omnistore.core.exceptions import NotFound

EVENT_SENT = "message_sent"
EVENT_OPENED = "message_opened"
EVENT_CLICKED = "message_clicked"
REFERENCE = "campaign_message"


def rows_per_batch(batch_size: int | None) -> int:
    return max(int(batch_size or settings.OMNISTORE_CAMPAIGN_BATCH_SIZE), 1)


def record_status(campaign: Campaign, target: str, *, actor=None, note: str = ""):
    CampaignStatusChange.objects.create(
        campaign=campaign,
        from_status=campaign.status,
        to_status=target,
        actor=acting_user(actor),
        note=note[:250],
    )
    campaign.status = target
    campaign.updated_at = timezone.now()


def lock_campaign(campaign: Campaign | int) -> Campaign:
    pk = campaign.pk if isinstance(campaign, Campaign) else campaign
    try:
        return Campaign.objects.select_for_update().get(pk=pk)
    except (Campaign.DoesNotExist, TypeError, ValueError):
        raise NotFound("Campaign not found.") from None


def take_lease(campaign_id: int, *, statuses, now: datetime) -> Campaign | None:
    """Hold the campaign for one run; None when another run holds it."""
    with transaction.atomic():
        campaign = (
            Campaign.objects.select_for_update()
            .filter(pk=campaign_id, status__in=statuses)
            .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=timezone.now()))
            .first()
        )
        if campaign is None:
            return None
        campaign.lease_until = timezone.now() + lease()
        fields = ["lease_until"]
        if campaign.status == CampaignStatus.SCHEDULED:
            if campaign.send_at and campaign.send_at > now:
                return None
            record_status(campaign, CampaignStatus.SENDING, note="Sending started")
            campaign.started_at = now
            fields += ["status", "started_at", "updated_at"]
        campaign.save(update_fields=fields)
    _start_heartbeat(campaign.pk)
    return campaign


def lease() -> timedelta:
    return timedelta(seconds=settings.OMNISTORE_CAMPAIGN_LEASE_SECONDS)


_heartbeats: dict[int, threading.Event] = {}


def _start_heartbeat(campaign_id: int) -> None:
    stop = threading.Event()
    _heartbeats[campaign_id] = stop

    def beat() -> None:
        try:
            while not stop.wait(lease().total_seconds() / 3):
                Campaign.objects.filter(
                    pk=campaign_id, lease_until__isnull=False
                ).update(lease_until=timezone.now() + lease())
        finally:
            connection.close()  # this thread's own connection

    threading.Thread(target=beat, name=f"lease-{campaign_id}", daemon=True).start()


def renew_lease(campaign: Campaign) -> str | None:
    """Extend the lease; returns the campaign's current status (cancel shows here)."""
    Campaign.objects.filter(pk=campaign.pk).update(lease_until=timezone.now() + lease())
    return (
        Campaign.objects.filter(pk=campaign.pk).values_list("status", flat=True).first()
    )


def release_lease(campaign: Campaign) -> None:
    stop = _heartbeats.pop(campaign.pk, None)
    if stop is not None:
        stop.set()
    Campaign.objects.filter(pk=campaign.pk).update(lease_until=None)
