"""Queueing: an audience becomes message rows, inserted ``ON CONFLICT DO NOTHING`` in
batches, so running a send or an automation again inserts nothing new."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from campaigns.models import Campaign, Message
from campaigns.selectors.audiences import segment_customers
from campaigns.services.common import renew_lease


def _insert_messages(campaign: Campaign, rows, now: datetime) -> int:
    """Rows are (customer_id, trigger_key, ok_<channel>...); returns rows offered."""
    messages = [
        Message(
            campaign_id=campaign.pk,
            customer_id=customer_id,
            channel=channel,
            trigger_key=trigger_key,
            created_at=now,
        )
        for customer_id, trigger_key, *flags in rows
        for channel, ok in zip(campaign.channels, flags, strict=True)
        if ok
    ]
    if messages:
        Message.objects.bulk_create(messages, ignore_conflicts=True)
    return len(messages)


def queue_stream(campaign: Campaign, queryset, columns, make_row, *, size, now) -> int:
    """Read ``queryset`` once, in primary-key order, through a server-side cursor
    (``size`` rows in memory at a time), and insert its messages ``size`` at a time.

    One pass, rather than a keyset query per batch: PostgreSQL cannot carry
    ``pk > last`` into the consent semi-joins, so each keyset query would re-read the
    consent index from its start.
    """
    flags = [f"ok_{channel}" for channel in campaign.channels]
    rows = (
        queryset.order_by("pk")
        .values_list("pk", *columns, *flags)
        .iterator(chunk_size=size)
    )
    offered = 0
    batch: list = []
    for row in rows:
        batch.append(make_row(row))
        if len(batch) >= size:
            offered += _insert_batch(campaign, batch, now)
            batch = []
    if batch:
        offered += _insert_batch(campaign, batch, now)
    return offered


def _insert_batch(campaign: Campaign, rows, now: datetime) -> int:
    with transaction.atomic():
        offered = _insert_messages(campaign, rows, now)
    renew_lease(campaign)
    return offered


def in_segment(campaign: Campaign, queryset, customer_field: str, now: datetime):
    if not campaign.segment_id:
        return queryset
    members = segment_customers(campaign.segment, now=now).values("pk")
    return queryset.filter(**{f"{customer_field}__in": members})
