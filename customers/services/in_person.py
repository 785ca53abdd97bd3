"""Identities given to staff in person.

An email or phone typed online proves nothing: it may be anyone's, so it neither
leads someone not signed in to a profile with a login nor receives campaigns
(``CustomerIdentity.proven``). Given in person — a sale at the counter or on the
phone attached by it, an associate confirming it with the customer there while
taking their consent — it counts as taken in person from then on: the identity's
channel becomes where it was given, and the timeline says where and by whom.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import Q

from customers.models import Consent, Customer, CustomerIdentity, IdentityKind
from customers.selectors.identities import survivor_of
from customers.selectors.profiles import CONTACT_FIELDS, contact_holders
from customers.services.common import where_label
from customers.services.consents import COUNTER_GRANTS, record_counter_consent
from customers.services.identities import flag_duplicate, lock_live_profile
from customers.services.timeline import EVENT_IDENTITY_ADDED, record_event
from omnistore.core.channels import Channel, is_online

EVENT_IDENTITY_CONFIRMED = "identity_confirmed"


def attach_identity(
    customer: Customer,
    kind: str,
    value: str,
    *,
    channel: str,
    location,
    actor,
    announce: bool = True,
) -> CustomerIdentity:
    """A new identity of ``customer``, given in ``channel``; on the timeline unless
    the profile is new (its own creation event says enough)."""
    identity = CustomerIdentity.objects.create(
        customer=customer, kind=kind, value=value, channel=channel
    )
    if not announce:
        return identity
    where = where_label(channel, location)
    record_event(
        customer=customer,
        kind=EVENT_IDENTITY_ADDED,
        summary=f"{IdentityKind(kind).label} {value} added ({where})",
        actor=actor,
        location=location,
        channel=channel,
        data={"kind": kind, "value": value},
    )
    return identity


def unproven_identities(customer: Customer, given: list[tuple[str, str]]) -> list:
    """The identities among ``given`` (kind, value) that ``customer`` holds unproven."""
    condition = Q()
    for kind, value in given:
        condition |= Q(kind=kind, value=value)
    if not condition:
        return []
    unproven = CustomerIdentity.objects.filter(~CustomerIdentity.proven_q())
    return list(unproven.filter(condition, customer=customer))


def confirm_in_person(
    customer: Customer, identities, *, channel: str, location, actor
) -> int:
    """Identities of ``customer`` typed online, now given in person in ``channel``
    (a shop, the phone): proven from then on, so they keep leading to the profile
    once it has a login, and campaigns may write to them with consent. Each change
    is on the timeline with the shop and the associate. The caller holds the
    profile's lock; returns how many were confirmed."""
    if is_online(channel):
        return 0
    by = f", by {actor.display_name}" if actor is not None else ""
    confirmed = 0
    for identity in identities:
        if identity.proven:
            continue
        typed_in = identity.channel
        changed = CustomerIdentity.objects.filter(
            ~CustomerIdentity.proven_q(), pk=identity.pk
        ).update(channel=channel)
        if not changed:  # confirmed meanwhile
            continue
        identity.channel = channel
        confirmed += 1
        label = IdentityKind(identity.kind).label
        record_event(
            customer=customer,
            kind=EVENT_IDENTITY_CONFIRMED,
            summary=(
                f"{label} {identity.value} confirmed in person "
                f"({where_label(channel, location)}{by})"
            ),
            actor=actor,
            location=location,
            channel=channel,
            data={"kind": identity.kind, "value": identity.value, "typed": typed_in},
            locked=True,
        )
    return confirmed


def flag_contact_holders(created: Customer, wanted: dict, channel: str) -> tuple:
    """A profile made in person with an email or phone that an account is written
    to but never confirmed (a sign-up's: no identity, so nothing matched it): the
    associate was told a sale cannot reach that account by it, and staff decide
    whether the two are one person. Online, the account's own code does that."""
    if is_online(channel):
        return ()
    flagged = []
    for kind, value in wanted.items():
        for holder in contact_holders(kind, value).exclude(pk=created.pk)[:5]:
            label = IdentityKind(kind).label.lower()
            reason = (
                f"Same person? {label} {value} is the other profile's, unconfirmed."
            )
            if flag_duplicate(
                customer=created, other=holder, reason=reason, channel=channel
            ):
                flagged.append(holder.pk)
    return tuple(flagged)


def confirm_contact_in_person(
    *, customer: Customer, kind: str, location, actor, channel: str = Channel.STORE
) -> CustomerIdentity | None:
    """The profile's email or phone confirmed by an associate with the customer
    there: its identity counts as taken in person, made so when the address is only
    the profile's contact (a sign-up's). One that another profile holds stays there
    (None) and the pair goes to staff. Runs in the caller's transaction, the
    profile locked."""
    value = getattr(customer, CONTACT_FIELDS[kind])
    if not value:
        return None
    identity = CustomerIdentity.objects.filter(kind=kind, value=value).first()
    if identity is None:
        try:
            with transaction.atomic():
                return attach_identity(
                    customer,
                    kind,
                    value,
                    channel=channel,
                    location=location,
                    actor=actor,
                )
        except IntegrityError:  # attached elsewhere meanwhile
            identity = CustomerIdentity.objects.get(kind=kind, value=value)
    if identity.customer_id != customer.pk:
        flag_duplicate(
            customer=customer,
            other=survivor_of(identity.customer),
            reason=(
                f"Same person? {IdentityKind(kind).label.lower()} {value}, "
                "confirmed in person on this profile, is on the other one."
            ),
            channel=channel,
        )
        return None
    confirm_in_person(
        customer, [identity], channel=channel, location=location, actor=actor
    )
    return identity


@transaction.atomic
def record_consent_in_person(
    *, customer: Customer, channel: str, granted: bool, location, actor
) -> Consent:
    """A customer's decision told to an associate in person
    (``record_counter_consent``); a yes to email or SMS is to the address or number
    on the profile, which the associate confirms with them there
    (``confirm_contact_in_person``)."""
    customer = lock_live_profile(customer)
    consent = record_counter_consent(
        customer=customer,
        channel=channel,
        granted=granted,
        location=location,
        actor=actor,
    )
    if granted and channel in COUNTER_GRANTS:
        confirm_contact_in_person(
            customer=customer,
            kind=COUNTER_GRANTS[channel],
            location=location,
            actor=actor,
        )
    return consent
