"""What a send reads: the campaigns due, and whether a queued message may still go."""

from __future__ import annotations

from datetime import datetime

from django.db.models import (
    Exists,
    OuterRef,
    Q,
)
from django.utils import timezone

from campaigns.channels import MessageChannel
from campaigns.models import Campaign, CampaignKind, CampaignStatus
from customers.models import Consent


def message_deliverable() -> Q:
    """Checked again when a queued message is sent: consent still granted, an address
    still there, the profile neither merged away nor erased."""
    consent = Exists(
        Consent.objects.filter(
            customer=OuterRef("customer_id"), channel=OuterRef("channel"), granted=True
        )
    )
    no_address = Q(channel=MessageChannel.EMAIL, customer__email="") | Q(
        channel=MessageChannel.SMS, customer__phone=""
    )
    return (
        Q(consent)
        & Q(customer__merged_into__isnull=True, customer__is_anonymised=False)
        & ~no_address
    )


def due_campaigns(*, now: datetime) -> list[int]:
    """Broadcasts whose time has come, and sends left unfinished (a crash, a provider
    outage) whose lease has expired."""
    return list(
        Campaign.objects.filter(
            kind=CampaignKind.BROADCAST,
            status__in=[CampaignStatus.SCHEDULED, CampaignStatus.SENDING],
            send_at__lte=now,
        )
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=timezone.now()))
        .order_by("send_at", "pk")
        .values_list("pk", flat=True)
    )
