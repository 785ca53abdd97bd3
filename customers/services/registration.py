"""An associate registers someone at the counter: the profile its identities name,
or a new one, with the consents ticked (``customers.services.matching`` finds it)."""

from __future__ import annotations

import dataclasses

from django.db import transaction

from customers.models import Consent, ConsentChannel
from customers.services.consents import set_consent
from customers.services.matching import MatchResult, match_customer_result
from inventory.models import Location
from omnistore.core.channels import Channel


@transaction.atomic
def create_customer_at_counter(
    *,
    first_name: str = "",
    last_name: str = "",
    email=None,
    phone=None,
    store: Location,
    actor,
    email_consent: bool | None = None,
    sms_consent: bool | None = None,
) -> MatchResult:
    """An associate registers someone; an existing profile is found, not duplicated.

    The consents ticked are recorded, except on a profile found whose customer had
    withdrawn that consent: a registration form ticked by habit does not undo their
    no (they opt in again themselves); ``withdrawn_kept`` names those channels."""
    result = match_customer_result(
        email=email,
        phone=phone,
        first_name=first_name,
        last_name=last_name,
        channel=Channel.STORE,
        location=store,
        actor=actor,
        region=store.country if store is not None else None,
    )
    withdrawn = set()
    if not result.created:
        withdrawn = set(
            Consent.objects.filter(customer=result.customer, granted=False).values_list(
                "channel", flat=True
            )
        )
    kept = []
    for channel, granted in (
        (ConsentChannel.EMAIL, email_consent),
        (ConsentChannel.SMS, sms_consent),
    ):
        if granted and channel in withdrawn:
            kept.append(channel)
        elif granted is not None:
            set_consent(
                customer=result.customer,
                channel=channel,
                granted=granted,
                source_channel=Channel.STORE,
                location=store,
                actor=actor,
            )
    return dataclasses.replace(result, withdrawn_kept=tuple(kept))
