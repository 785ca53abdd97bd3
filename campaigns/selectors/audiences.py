"""Audiences: who a segment selects, who may be reached on which channel."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import (
    BooleanField,
    Exists,
    ExpressionWrapper,
    OuterRef,
    Q,
)

from campaigns.channels import MessageChannel
from campaigns.models import Campaign, Segment
from campaigns.segments.compiler import compile_rules, live_customers
from customers.models import Consent, Customer

PREVIEW_SAMPLE = 20


def segment_customers(segment: Segment | dict, *, now: datetime | None = None):
    rules = segment.rules if isinstance(segment, Segment) else segment
    return compile_rules(rules, now=now)


@dataclass
class SegmentPreview:
    count: int
    sample: list[Customer]


def segment_preview(segment: Segment | dict, *, limit: int = PREVIEW_SAMPLE):
    """How many customers the rules select and the first ``limit`` of them (two
    queries)."""
    customers = segment_customers(segment)
    sample = list(customers.select_related("preferred_store").order_by("pk")[:limit])
    count = len(sample) if len(sample) < limit else customers.count()
    return SegmentPreview(count=count, sample=sample)


def reachable(channel: str, *, via: str = "") -> Q:
    """Customers with a granted consent and an address for ``channel``; ``via`` is the
    relation to the customer when filtering another model (``"customer"``)."""
    ref = f"{via}_id" if via else "pk"
    prefix = f"{via}__" if via else ""
    condition = Q(
        Exists(
            Consent.objects.filter(
                customer=OuterRef(ref), channel=channel, granted=True
            )
        )
    )
    if channel == MessageChannel.EMAIL:
        condition &= ~Q(**{f"{prefix}email": ""})
    elif channel == MessageChannel.SMS:
        condition &= ~Q(**{f"{prefix}phone": ""})
    return condition


def reachable_flags(channels, *, via: str = "") -> dict:
    """``ok_<channel>`` annotations: may this row's customer get ``channel``?"""
    return {
        f"ok_{channel}": ExpressionWrapper(
            reachable(channel, via=via), output_field=BooleanField()
        )
        for channel in channels
    }


def reachable_on_any(channels, *, via: str = "") -> Q:
    either = Q()
    for channel in channels:
        either |= reachable(channel, via=via)
    return either


def campaign_audience(campaign: Campaign, *, now: datetime | None = None):
    """Customers of the campaign's segment (all live customers when it has none)
    reachable on at least one of its channels, annotated ``ok_<channel>``."""
    customers = (
        segment_customers(campaign.segment, now=now)
        if campaign.segment_id
        else live_customers()
    )
    return customers.filter(reachable_on_any(campaign.channels)).annotate(
        **reachable_flags(campaign.channels)
    )
