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
from customers.models import Consent, Customer, CustomerIdentity, IdentityKind

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


# Where each channel writes to on the profile, and the identity that proves it.
CONTACTS = {
    MessageChannel.EMAIL: ("email", IdentityKind.EMAIL),
    MessageChannel.SMS: ("phone", IdentityKind.PHONE),
}


def reachable(channel: str, *, via: str = "") -> Q:
    """Customers with a granted consent and a proven address for ``channel``; ``via``
    is the relation to the customer when filtering another model (``"customer"``)."""
    ref = f"{via}_id" if via else "pk"
    condition = Q(
        Exists(
            Consent.objects.filter(
                customer=OuterRef(ref), channel=channel, granted=True
            )
        )
    )
    if channel in CONTACTS:
        condition &= proven_contact(channel, via=via)
    return condition


def proven_contact(channel: str, *, via: str = "") -> Q:
    """The profile's address or number for ``channel`` is one of its identities that
    it proved (a code) or that staff took in person (at a shop, on the phone). One
    typed online and never proven may be anyone's: a sign-up with someone else's
    phone, a consent ticked beside it, would write to a person who never agreed."""
    field, kind = CONTACTS[channel]
    ref = f"{via}_id" if via else "pk"
    contact = f"{via}__{field}" if via else field
    proven = CustomerIdentity.objects.filter(
        CustomerIdentity.proven_q(),
        customer=OuterRef(ref),
        kind=kind,
        value=OuterRef(contact),
    )
    return ~Q(**{contact: ""}) & Q(Exists(proven))


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
