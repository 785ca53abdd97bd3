"""Identities as a visit brings them, loyalty numbers, possible duplicates and row
locks on live profiles.

A customer row is locked (``SELECT ... FOR NO KEY UPDATE``) before its balances change
or it is merged; locks follow ``merged_into`` to the survivor and are taken in pk order,
the order a merge locks in. ``NO KEY``: two such locks exclude each other, but neither
waits for a transaction that only inserted rows pointing at the profile (an order, a
timeline entry, a points row: PostgreSQL's key-share lock), which the stronger lock
would wait for until that transaction ends.
"""

from __future__ import annotations

import secrets

from django.db import IntegrityError, transaction

from customers.models import Customer, DuplicateCandidate, IdentityKind
from customers.normalize import (
    normalize_email,
    normalize_loyalty_number,
    normalize_phone,
)
from omnistore.core.exceptions import Conflict, NotFound, ValidationFailed


def _luhn_digit(digits: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def generate_loyalty_number(rng=None) -> str:
    """Twelve digits starting with 7, the last a Luhn check digit (catches typos)."""
    if rng is None:
        body = "7" + "".join(secrets.choice("0123456789") for _ in range(10))
    else:
        body = "7" + "".join(rng.choice("0123456789") for _ in range(10))
    return body + _luhn_digit(body)


def lock_customer(customer: Customer | int) -> Customer:
    """Lock the live row for ``customer`` (following merges) for the transaction."""
    pk = customer.pk if isinstance(customer, Customer) else customer
    return lock_customers([pk])[pk]


def lock_live_profile(customer: Customer | int) -> Customer:
    """``lock_customer``, refused (409 ``profile_erased``) when the profile was erased:
    taken before anything else is written for it, in an erasure's order, so a write
    that waited for an erasure finds the profile erased and writes nothing."""
    locked = lock_customer(customer)
    if locked.is_anonymised:
        raise erased_profile()
    return locked


def erased_profile() -> Conflict:
    return Conflict("This profile was erased.", code="profile_erased")


def lock_customers(pks) -> dict[int, Customer]:
    """Lock the live rows for the profiles ``pks``, following merges to the survivors:
    one query per step of the longest merge chain, each locking its rows in pk order
    (the order merges lock in). Keyed by the ids asked for."""
    live: dict[int, Customer] = {}
    try:  # asked for -> the row to look at next
        pending = {pk: int(pk) for pk in pks}
    except (ValueError, TypeError):
        raise NotFound("Customer not found.") from None
    while pending:
        rows = Customer.objects.select_for_update(no_key=True).filter(
            pk__in=set(pending.values())
        )
        found = {row.pk: row for row in rows.order_by("pk")}
        following = {}
        for asked, pk in pending.items():
            row = found.get(pk)
            if row is None:
                raise NotFound("Customer not found.")
            if row.merged_into_id is None:
                live[asked] = row
            else:
                following[asked] = row.merged_into_id
        pending = following
    return live


def flag_duplicate(
    *, customer: Customer, other: Customer, reason: str, channel: str = ""
) -> DuplicateCandidate | None:
    """Record that two profiles seem to be one person (once per pair)."""
    if customer.pk == other.pk:
        return None
    a, b = sorted([customer.pk, other.pk])
    try:
        with transaction.atomic():
            candidate, _ = DuplicateCandidate.objects.get_or_create(
                customer_a_id=a,
                customer_b_id=b,
                defaults={"reason": reason[:250], "channel": channel},
            )
    except IntegrityError:
        candidate = DuplicateCandidate.objects.get(customer_a_id=a, customer_b_id=b)
    return candidate


def clean_identities(*, email, phone, loyalty_number, region) -> dict[str, str]:
    """The normalised identities given, by kind (a phone read in ``region``), or
    field errors for those that read as none."""
    errors: dict[str, list[str]] = {}
    found: dict[str, str] = {}
    if loyalty_number not in (None, ""):
        value = normalize_loyalty_number(loyalty_number)
        if value:
            found[IdentityKind.LOYALTY] = value
    if email not in (None, ""):
        value = normalize_email(email)
        if value is None:
            errors["email"] = ["Enter a valid email address."]
        else:
            found[IdentityKind.EMAIL] = value
    if phone not in (None, ""):
        value = normalize_phone(phone, region=region)
        if value is None:
            errors["phone"] = ["Enter a valid phone number."]
        else:
            found[IdentityKind.PHONE] = value
    if errors:
        raise ValidationFailed("Check the highlighted fields.", extra=errors)
    return found
