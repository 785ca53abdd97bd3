"""Consent decisions: the history keeps every change, ``Consent`` the latest."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from customers.models import (
    Consent,
    ConsentChange,
    ConsentChannel,
    Customer,
)
from customers.services.common import check_channel, where_label
from customers.services.identities import (
    lock_customer,
    lock_live_profile,
)
from customers.services.timeline import (
    EVENT_CONSENT_GRANTED,
    EVENT_CONSENT_WITHDRAWN,
    record_event,
)
from omnistore.core.actors import acting_user
from omnistore.core.channels import Channel
from omnistore.core.exceptions import ValidationFailed


@transaction.atomic
def set_consent(
    *,
    customer: Customer,
    channel: str,
    granted: bool,
    source_channel: str,
    location=None,
    actor=None,
) -> Consent:
    """Record a consent decision: history keeps every change, ``Consent`` the latest.

    Repeating the current decision changes nothing.
    """
    if channel not in ConsentChannel.values:
        raise ValidationFailed(
            f"Unknown consent channel '{channel}'.",
            extra={"channel": [f"Must be one of: {', '.join(ConsentChannel.values)}."]},
        )
    if not isinstance(granted, bool):
        raise ValidationFailed(
            "Say yes or no.", extra={"granted": ["Must be a boolean."]}
        )
    check_channel(source_channel, "source_channel")
    customer = lock_customer(customer)
    actor = acting_user(actor)
    current = Consent.objects.filter(customer=customer, channel=channel).first()
    if current is not None and current.granted == granted:
        return current
    first = current is None
    now = timezone.now()
    ConsentChange.objects.create(
        customer=customer,
        channel=channel,
        granted=granted,
        source_channel=source_channel,
        location=location,
        actor=actor,
        at=now,
    )
    values = {
        "granted": granted,
        "source_channel": source_channel,
        "location": location,
        "actor": actor,
        "updated_at": now,
    }
    if current is None:
        current = Consent.objects.create(customer=customer, channel=channel, **values)
    else:
        for field, value in values.items():
            setattr(current, field, value)
        current.save(update_fields=list(values))
    label = ConsentChannel(channel).label
    by = f", by {actor.display_name}" if actor is not None else ""
    # A first no was never a yes: it is declined, not withdrawn.
    said = "granted" if granted else ("declined" if first else "withdrawn")
    record_event(
        customer=customer,
        kind=EVENT_CONSENT_GRANTED if granted else EVENT_CONSENT_WITHDRAWN,
        summary=(
            f"{label} consent {said} ({where_label(source_channel, location)}{by})"
        ),
        actor=actor,
        location=location,
        channel=source_channel,
        data={"channel": channel, "granted": granted},
    )
    return current


@transaction.atomic
def set_consents(
    *,
    customer: Customer,
    decisions: dict[str, bool],
    source_channel: str,
    location=None,
    actor=None,
) -> dict[str, Consent]:
    """Several channels at once, all or nothing."""
    return {
        channel: set_consent(
            customer=customer,
            channel=channel,
            granted=granted,
            source_channel=source_channel,
            location=location,
            actor=actor,
        )
        for channel, granted in decisions.items()
    }


# What an associate may record for a customer standing at the counter.
COUNTER_GRANTS = {ConsentChannel.EMAIL: "email", ConsentChannel.SMS: "phone"}


@transaction.atomic
def record_counter_consent(
    *, customer: Customer, channel: str, granted: bool, location, actor
) -> Consent:
    """A customer's decision told to an associate in person.

    A no is always taken, on any channel. A yes only to email or SMS never asked
    before, with the address or number on the profile: a customer who said no opts
    in again themselves, from their account. Refused for an erased profile."""
    customer = lock_live_profile(customer)
    if granted:
        contact = COUNTER_GRANTS.get(channel)
        current = Consent.objects.filter(customer=customer, channel=channel).first()
        if contact is None:
            raise ValidationFailed(
                "At the counter a yes is taken for email and SMS only.",
                extra={"channel": ["Email or SMS."]},
            )
        if current is not None and not current.granted:
            raise ValidationFailed(
                "The customer said no before: they opt in again from their account.",
                code="consent_withdrawn_before",
            )
        if not getattr(customer, contact):
            raise ValidationFailed(
                f"Add the customer's {'email' if contact == 'email' else 'phone'} "
                "first.",
                code="consent_needs_contact",
            )
    return set_consent(
        customer=customer,
        channel=channel,
        granted=granted,
        source_channel=Channel.STORE,
        location=location,
        actor=actor,
    )
