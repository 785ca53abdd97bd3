"""Erasure on request: forget the person, keep the books."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from rest_framework.authtoken.models import Token

from customers.models import (
    Address,
    Consent,
    Customer,
    CustomerEvent,
    CustomerIdentity,
    CustomerMerge,
    DuplicateCandidate,
    DuplicateStatus,
    StaffNote,
)
from customers.services.consents import set_consent
from customers.services.identities import (
    lock_customer,
)
from customers.services.timeline import (
    EVENT_ERASED,
    EVENT_IDENTITY_ADDED,
    EVENT_MERGED,
    EVENT_NOTE_ADDED,
    record_event,
)
from customers.signals import customer_erased
from omnistore.core import webhooks
from omnistore.core.actors import acting_user

ERASED_TEXT = "[erased]"


# --- Erasure ------------------------------------------------------------------------


def _withdraw_consents(customer: Customer, *, actor, channel: str) -> None:
    """Every granted consent withdrawn; the withdrawal stays as proof."""
    for consent in Consent.objects.filter(customer=customer, granted=True):
        set_consent(
            customer=customer,
            channel=consent.channel,
            granted=False,
            source_channel=channel or customer.created_channel,
            actor=actor,
        )


def _redact_records(customer: Customer, *, actor) -> None:
    """Identities and addresses go; notes, event data and the summaries that quote
    personal data are blanked; pending duplicate pairs are dismissed."""
    CustomerIdentity.objects.filter(customer=customer).delete()
    Address.objects.filter(customer=customer).delete()
    StaffNote.objects.filter(customer=customer).update(text=ERASED_TEXT)
    CustomerEvent.objects.filter(customer=customer).update(data={})
    CustomerEvent.objects.filter(
        customer=customer,
        kind__in=[EVENT_NOTE_ADDED, EVENT_IDENTITY_ADDED, EVENT_MERGED],
    ).update(summary=ERASED_TEXT)
    DuplicateCandidate.objects.filter(
        Q(customer_a=customer) | Q(customer_b=customer), status=DuplicateStatus.PENDING
    ).update(
        status=DuplicateStatus.DISMISSED,
        resolved_by=acting_user(actor),
        resolved_at=timezone.now(),
    )


def _disable_login(user) -> None:
    """No token, no password, no name: the login can never be used again."""
    Token.objects.filter(user=user).delete()
    user.username = f"erased-{user.pk}"
    user.email = ""
    user.first_name = ""
    user.last_name = ""
    user.is_active = False
    user.set_unusable_password()
    user.save()


def _anonymise_profiles(customer: Customer) -> None:
    """The profile and the profiles merged into it lose their personal fields; merge
    records keep only the merged id."""
    now = timezone.now()
    Customer.objects.filter(merged_into=customer).update(
        first_name="",
        last_name="",
        email="",
        phone="",
        birthday=None,
        preferences={},
        is_anonymised=True,
        erased_at=now,
    )
    for merge in CustomerMerge.objects.filter(survivor=customer):
        merge.summary = {**merge.summary, "merged": {"id": merge.merged_id}}
        merge.save(update_fields=["summary"])
    customer.first_name = ""
    customer.last_name = ""
    customer.email = ""
    customer.phone = ""
    customer.birthday = None
    customer.preferences = {}
    customer.preferred_store = None
    customer.is_anonymised = True
    customer.erased_at = now
    customer.save(
        update_fields=[
            "first_name",
            "last_name",
            "email",
            "phone",
            "birthday",
            "preferences",
            "preferred_store",
            "is_anonymised",
            "erased_at",
            "updated_at",
        ]
    )


@transaction.atomic
def erase_customer(*, customer: Customer, actor=None, channel: str = "") -> Customer:
    """Forget the person, keep the books.

    Names, contact data, identities, addresses, preferences and note texts go;
    consents are withdrawn (the withdrawal stays as proof); orders and ledgers stay for
    accounting, on an anonymous profile. The login is disabled. Erasing twice changes
    nothing.
    """
    customer = lock_customer(customer)
    if customer.is_anonymised:
        return customer
    _withdraw_consents(customer, actor=actor, channel=channel)
    _redact_records(customer, actor=actor)
    if customer.user is not None:
        _disable_login(customer.user)
    _anonymise_profiles(customer)
    record_event(
        customer=customer,
        kind=EVENT_ERASED,
        summary="Personal data erased on request",
        actor=actor,
        channel=channel,
    )
    customer_erased.send(sender=Customer, customer=customer)
    webhooks.emit("customer.erased", {"customer_id": customer.pk})
    return customer
