"""Writes on customer profiles: matching, timeline, loyalty, consents, merge, erasure.

Rules kept here:
- an identity (kind, value) belongs to at most one customer (a unique constraint); when
  two requests race to create the same person, the loser's insert fails and it re-reads;
- two profiles are never merged automatically: conflicting identities are recorded as a
  ``DuplicateCandidate`` for staff;
- a customer row is locked (``SELECT ... FOR UPDATE``) before its balances change or it
  is merged, and a merge locks both rows in pk order, so a merge waits for a checkout
  that matched the loser and the checkout's rows are then carried to the survivor;
- a merged profile keeps its id: ``merged_into`` leads to the survivor.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Case, F, IntegerField, Q, Value, When
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from inventory.models import Category, Location, LocationKind, Variant
from omnistore.core import outbox, webhooks
from omnistore.core.db import (
    connection_for,
    insert_rows,
    load,
)
from omnistore.core.exceptions import Conflict, NotFound, ValidationFailed

from .models import (
    WISHLIST_DEFAULT_NAME,
    Address,
    Channel,
    Consent,
    ConsentChange,
    ConsentChannel,
    Customer,
    CustomerEvent,
    CustomerIdentity,
    CustomerMerge,
    DuplicateCandidate,
    DuplicateStatus,
    IdentityKind,
    LoyaltyKind,
    LoyaltyTransaction,
    StaffNote,
    Wishlist,
    WishlistChannel,
    WishlistItem,
    new_share_token,
)
from .signals import customer_erased, customer_merged, customer_merging

# Timeline kinds written by this app; other apps pass their own strings.
EVENT_CREATED = "customer_created"
EVENT_IDENTITY_ADDED = "identity_added"
EVENT_PROFILE_UPDATED = "profile_updated"
EVENT_CONSENT_GRANTED = "consent_granted"
EVENT_CONSENT_WITHDRAWN = "consent_withdrawn"
EVENT_NOTE_ADDED = "note_added"
EVENT_MERGED = "customer_merged"
EVENT_ERASED = "customer_erased"
EVENT_POINTS_EARNED = "points_earned"
EVENT_POINTS_REVERSED = "points_reversed"

ERASED_TEXT = "[erased]"
_UNSET: Any = object()


# --- Normalisation ------------------------------------------------------------------


def normalize_email(value, *, strict: bool = False) -> str | None:
    """Trimmed and lower-cased; ``None`` when empty or invalid (``strict`` raises)."""
    if value is None:
        return None
    text = str(value).strip().lower()
    if not text:
        return None
    try:
        validate_email(text)
    except DjangoValidationError:
        if strict:
            raise ValidationFailed(
                "Enter a valid email address.",
                extra={"email": ["Enter a valid email address."]},
            ) from None
        return None
    return text


def normalize_phone(
    value, *, region: str | None = None, strict: bool = False
) -> str | None:
    """E.164 ("+393331234567"); national numbers are read in ``region`` (the shop's
    country, default ``OMNISTORE_DEFAULT_REGION``). ``None`` when empty or invalid."""
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    if text.startswith("00"):
        # "00" is the international prefix in most of the world; read it as "+".
        text = "+" + text[2:]
    region = (region or settings.OMNISTORE_DEFAULT_REGION or "").upper() or None
    number = None
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        if strict:
            raise ValidationFailed(
                "Enter a valid phone number.",
                extra={"phone": ["Enter a valid phone number."]},
            )
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalize_loyalty_number(value) -> str | None:
    if value is None:
        return None
    text = "".join(str(value).split()).upper()
    return text or None


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


def _check_channel(channel: str, field: str = "channel") -> str:
    if channel not in Channel.values:
        raise ValidationFailed(
            f"Unknown channel '{channel}'.",
            extra={field: [f"Must be one of: {', '.join(Channel.values)}."]},
        )
    return channel


# --- Resolution and locking ---------------------------------------------------------


def resolve_customer(customer_id) -> Customer:
    """The live profile for an id, following ``merged_into`` to the survivor."""
    pk = customer_id.pk if isinstance(customer_id, Customer) else customer_id
    try:
        customer = Customer.objects.get(pk=pk)
    except (Customer.DoesNotExist, ValueError, TypeError):
        raise NotFound("Customer not found.") from None
    seen = {customer.pk}
    while customer.merged_into_id is not None:
        customer = Customer.objects.get(pk=customer.merged_into_id)
        if customer.pk in seen:  # pragma: no cover - a merge never makes a cycle
            break
        seen.add(customer.pk)
    return customer


def live_customer_id(pk: int) -> int:
    """The id of the live profile for ``pk``, following ``merged_into`` without
    loading the rows: one narrow read per step of the merge chain."""
    seen = set()
    while pk not in seen:
        seen.add(pk)
        found = (
            Customer.objects.filter(pk=pk)
            .order_by()
            .values_list("merged_into_id", flat=True)
            .first()
        )
        if found is None:
            return pk
        pk = found
    return pk  # pragma: no cover - merges never make a cycle


def _lock(customer: Customer | int) -> Customer:
    """Lock the live row for ``customer`` (following merges) for the transaction."""
    pk = customer.pk if isinstance(customer, Customer) else customer
    return _lock_many([pk])[pk]


def _lock_many(pks) -> dict[int, Customer]:
    """Lock the live rows for the profiles ``pks``, following merges to the survivors:
    one query per step of the longest merge chain, each locking its rows in pk order
    (the order merges lock in). Keyed by the ids asked for."""
    live: dict[int, Customer] = {}
    try:  # asked for -> the row to look at next
        pending = {pk: int(pk) for pk in pks}
    except (ValueError, TypeError):
        raise NotFound("Customer not found.") from None
    while pending:
        rows = Customer.objects.select_for_update().filter(pk__in=set(pending.values()))
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


def _follow(customer: Customer) -> Customer:
    """The survivor of a freshly read profile."""
    return (
        resolve_customer(customer.merged_into_id)
        if customer.merged_into_id
        else customer
    )


def _live(customer: Customer) -> Customer:
    """The survivor when ``customer`` was merged, even if this object predates it."""
    found = (  # unordered: a profile's ordering costs more than this read
        Customer.objects.filter(pk=customer.pk)
        .order_by()
        .values_list("merged_into_id", flat=True)[:1]
    )
    merged_into = found[0] if found else None
    return resolve_customer(merged_into) if merged_into else customer


# --- Timeline -----------------------------------------------------------------------


def record_event(
    *,
    customer: Customer,
    kind: str,
    summary: str,
    actor=None,
    location=None,
    channel: str = "",
    data: dict | None = None,
    reference_type: str = "",
    reference_id: str = "",
    occurred_at=None,
    locked: bool = False,
) -> CustomerEvent:
    """The one writer of the customer timeline, used by every app.

    The event goes to the survivor when ``customer`` was merged meanwhile (one read),
    unless the caller says the row is ``locked``: it holds the live profile's row lock
    in this transaction (``match_customer``, a points booking), so no merge can have
    moved it.
    """
    if not kind:
        raise ValidationFailed("An event needs a kind.", extra={"kind": ["Required."]})
    if not locked:
        customer = _live(customer)
    event = CustomerEvent(
        customer=customer,
        kind=kind[:40],
        summary=(summary or "")[:255],
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        location=location,
        channel=channel or "",
        data=data or {},
        reference_type=reference_type or "",
        reference_id=str(reference_id or ""),
        occurred_at=occurred_at or timezone.now(),
    )
    insert_rows([event])
    return event


_EVENT_FIELDS = frozenset(
    {
        "customer",
        "kind",
        "summary",
        "actor",
        "location",
        "channel",
        "data",
        "reference_type",
        "reference_id",
        "occurred_at",
    }
)


def record_events(events: list[dict], *, locked: bool = False) -> int:
    """Many timeline rows in one INSERT (a campaign batch of sends), each dict taking
    ``record_event``'s arguments under the same rules: a kind is required (nothing is
    written when one lacks it), texts are cut to their columns, and an event of a
    merged profile goes to the survivor — found in one read for the whole batch,
    unless the caller holds the live profiles' row locks (``locked``, a points
    booking). Returns the number of rows written."""
    events = list(events)
    for index, event in enumerate(events):
        unknown = set(event) - _EVENT_FIELDS
        if unknown:
            raise TypeError(f"Unknown event field(s): {', '.join(sorted(unknown))}.")
        if not event.get("kind"):
            raise ValidationFailed(
                "An event needs a kind.",
                extra={"kind": [f"Required (event {index + 1} of {len(events)})."]},
            )
    if not events:
        return 0
    survivors: dict[int, int] = {}
    if not locked:
        ids = {getattr(e["customer"], "pk", e["customer"]) for e in events}
        moved = Customer.objects.filter(pk__in=ids, merged_into__isnull=False)
        survivors = {
            pk: resolve_customer(into).pk
            for pk, into in moved.values_list("pk", "merged_into_id")
        }
    now = timezone.now()
    rows = []
    for event in events:
        customer_id = getattr(event["customer"], "pk", event["customer"])
        actor = event.get("actor")
        rows.append(
            CustomerEvent(
                customer_id=survivors.get(customer_id, customer_id),
                kind=event["kind"][:40],
                summary=(event.get("summary") or "")[:255],
                actor=actor if getattr(actor, "is_authenticated", False) else None,
                location=event.get("location"),
                channel=event.get("channel") or "",
                data=event.get("data") or {},
                reference_type=event.get("reference_type") or "",
                reference_id=str(event.get("reference_id") or ""),
                occurred_at=event.get("occurred_at") or now,
            )
        )
    CustomerEvent.objects.bulk_create(rows)
    return len(rows)


# --- Matching -----------------------------------------------------------------------

# When a request's identities belong to different profiles, the first one here wins.
_STRENGTH = ("user", IdentityKind.LOYALTY, IdentityKind.EMAIL, IdentityKind.PHONE)
_STRENGTH_LABEL = {
    "user": "login",
    IdentityKind.LOYALTY: "loyalty card",
    IdentityKind.EMAIL: "email",
    IdentityKind.PHONE: "phone",
}


def _where(channel: str, location) -> str:
    label = Channel(channel).label if channel in Channel.values else channel
    return f"{label} · {location.name}" if location is not None else label


def _create_customer(
    *,
    first_name: str,
    last_name: str,
    channel: str,
    location=None,
    user=None,
    actor=None,
) -> Customer:
    """A new profile with its own loyalty card (number retried on a collision)."""
    for _ in range(10):
        number = generate_loyalty_number()
        try:
            with transaction.atomic():
                customer = Customer.objects.create(
                    first_name=(first_name or "").strip()[:100],
                    last_name=(last_name or "").strip()[:100],
                    user=user,
                    loyalty_number=number,
                    created_channel=channel,
                    created_location=location,
                )
                CustomerIdentity.objects.create(
                    customer=customer,
                    kind=IdentityKind.LOYALTY,
                    value=number,
                    verified=True,
                    channel=channel,
                )
        except IntegrityError:
            if Customer.objects.filter(loyalty_number=number).exists() or (
                CustomerIdentity.objects.filter(
                    kind=IdentityKind.LOYALTY, value=number
                ).exists()
            ):
                continue
            raise
        record_event(
            customer=customer,
            kind=EVENT_CREATED,
            summary=f"Profile created ({_where(channel, location)})",
            actor=actor,
            location=location,
            channel=channel,
        )
        return customer
    raise Conflict("Could not issue a loyalty number; try again.")  # pragma: no cover


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


def _attach_identity(
    customer: Customer,
    kind: str,
    value: str,
    *,
    channel: str,
    location,
    actor,
    announce: bool = True,
) -> CustomerIdentity:
    identity = CustomerIdentity.objects.create(
        customer=customer, kind=kind, value=value, channel=channel
    )
    if not announce:  # a new profile's own creation event says enough
        return identity
    record_event(
        customer=customer,
        kind=EVENT_IDENTITY_ADDED,
        summary=(
            f"{IdentityKind(kind).label} {value} added ({_where(channel, location)})"
        ),
        actor=actor,
        location=location,
        channel=channel,
        data={"kind": kind, "value": value},
    )
    return identity


@dataclass(frozen=True)
class MatchResult:
    customer: Customer
    created: bool
    duplicates: tuple[int, ...] = ()


def _clean_identities(*, email, phone, loyalty_number, region) -> dict[str, str]:
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


def _match_once(
    *, wanted, user, first_name, last_name, channel, location, actor
) -> MatchResult:
    owners: dict[str, Customer | None] = {}
    if user is not None:
        profile = Customer.objects.filter(user=user).first()
        owners["user"] = _follow(profile) if profile else None
    for kind, value in wanted.items():
        identity = (
            CustomerIdentity.objects.select_related("customer")
            .filter(kind=kind, value=value)
            .first()
        )
        owners[kind] = _follow(identity.customer) if identity else None
    if IdentityKind.LOYALTY in wanted and owners[IdentityKind.LOYALTY] is None:
        raise ValidationFailed(
            "Unknown loyalty card.", extra={"loyalty_number": ["Unknown loyalty card."]}
        )

    ranked = [owners.get(k) for k in _STRENGTH]
    matched = next((c for c in ranked if c is not None), None)
    created = False
    if matched is None:
        matched = _create_customer(
            first_name=first_name,
            last_name=last_name,
            channel=channel,
            location=location,
            user=user,
            actor=actor,
        )
        created = True
    else:
        matched = _lock(matched)
        if user is not None and owners.get("user") is None:
            if matched.user_id is None:
                matched.user = user
                matched.save(update_fields=["user", "updated_at"])
            else:
                # The profile already has another login: this login gets its own
                # profile, and staff decide whether they are one person.
                first = matched
                matched = _create_customer(
                    first_name=first_name,
                    last_name=last_name,
                    channel=channel,
                    location=location,
                    user=user,
                    actor=actor,
                )
                created = True
                owners["user"] = matched
                flag_duplicate(
                    customer=first,
                    other=matched,
                    reason="A second login signed up with an identity of this profile.",
                    channel=channel,
                )

    duplicates = []
    for kind, owner in owners.items():
        if owner is None or owner.pk == matched.pk:
            continue
        value = wanted.get(kind, "")
        label = _STRENGTH_LABEL[kind]
        candidate = flag_duplicate(
            customer=matched,
            other=owner,
            reason=" ".join(
                f"Same person? {label} {value} is on the other profile.".split()
            ),
            channel=channel,
        )
        if candidate is not None:
            duplicates.append(owner.pk)

    for kind, value in wanted.items():
        if owners[kind] is None:
            _attach_identity(
                matched,
                kind,
                value,
                channel=channel,
                location=location,
                actor=actor,
                announce=not created,
            )

    owned = {
        k for k, owner in owners.items() if owner is None or owner.pk == matched.pk
    }
    _fill_in(matched, wanted, owned, first_name, last_name)
    if created:
        webhooks.emit(
            "customer.created",
            {
                "customer_id": matched.pk,
                "channel": channel,
                "location_id": getattr(location, "pk", None),
            },
        )
    return MatchResult(customer=matched, created=created, duplicates=tuple(duplicates))


def _fill_in(
    matched: Customer, wanted: dict[str, str], owned: set, first_name, last_name
) -> None:
    """Names, email and phone the profile lacks, from what this visit brought."""
    fields = []
    if not matched.first_name and first_name:
        matched.first_name = first_name.strip()[:100]
        fields.append("first_name")
    if not matched.last_name and last_name:
        matched.last_name = last_name.strip()[:100]
        fields.append("last_name")
    if (
        not matched.email
        and IdentityKind.EMAIL in wanted
        and IdentityKind.EMAIL in owned
    ):
        matched.email = wanted[IdentityKind.EMAIL]
        fields.append("email")
    if (
        not matched.phone
        and IdentityKind.PHONE in wanted
        and IdentityKind.PHONE in owned
    ):
        matched.phone = wanted[IdentityKind.PHONE]
        fields.append("phone")
    if fields:
        matched.save(update_fields=[*fields, "updated_at"])


def _known_profile(wanted: dict[str, str], user) -> Customer | None:
    """The live profile that already owns the one identity given, locked by a single
    read; None when the identity is new or a login comes with it (the full match runs
    then). A merged owner leads to its survivor, locked after it, as ``_lock`` does."""
    if user is not None or len(wanted) != 1:
        return None
    [(kind, value)] = wanted.items()
    connection = connection_for(Customer)
    lock = " FOR UPDATE OF c" if connection.features.has_select_for_update else ""
    rows = load(  # kept as SQL: every returning guest's checkout runs it
        [(Customer, "c")],
        "FROM customers_customer c"
        " JOIN customers_customeridentity i ON i.customer_id = c.id"
        f" WHERE i.kind = %s AND i.value = %s{lock}",
        [kind, value],
    )
    if not rows:
        return None
    found = rows[0][0]
    if found.merged_into_id is None:
        return found
    return _lock(found.merged_into_id)


def match_customer_result(
    *,
    email=None,
    phone=None,
    loyalty_number=None,
    user=None,
    first_name: str = "",
    last_name: str = "",
    channel: str,
    location=None,
    actor=None,
    region: str | None = None,
) -> MatchResult:
    """``match_customer`` that also tells whether the profile was created."""
    _check_channel(channel)
    if region is None and location is not None:
        region = getattr(location, "country", None)
    wanted = _clean_identities(
        email=email, phone=phone, loyalty_number=loyalty_number, region=region
    )
    if not wanted and user is None:
        raise ValidationFailed(
            "Give an email, a phone number or a loyalty card.",
            extra={
                "non_field_errors": ["Give an email, a phone number or a loyalty card."]
            },
        )
    if transaction.get_connection().in_atomic_block:
        # A returning customer (the usual checkout) writes nothing here: one locking
        # read in the caller's transaction. Inserts run below, in a savepoint each
        # attempt, so a parallel insert of the same identity is read again.
        known = _known_profile(wanted, user)
        if known is not None:
            _fill_in(known, wanted, set(wanted), first_name or "", last_name or "")
            return MatchResult(customer=known, created=False)
    for attempt in range(3):
        try:
            with transaction.atomic():
                return _match_once(
                    wanted=wanted,
                    user=user,
                    first_name=first_name or "",
                    last_name=last_name or "",
                    channel=channel,
                    location=location,
                    actor=actor,
                )
        except IntegrityError:
            # Another request attached the same identity first: read it again.
            if attempt == 2:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def match_customer(
    *,
    email=None,
    phone=None,
    loyalty_number=None,
    user=None,
    first_name: str = "",
    last_name: str = "",
    channel: str,
    location=None,
    actor=None,
    region: str | None = None,
) -> Customer:
    """The profile for whoever arrives with these identities, created when unknown.

    The strongest known identity wins (login > loyalty card > email > phone); when the
    identities belong to different profiles they are not merged but flagged as a
    ``DuplicateCandidate``. Unowned identities are attached to the matched profile. The
    returned row stays locked until the caller's transaction ends, so a concurrent merge
    waits and then carries what the caller wrote.
    """
    return match_customer_result(
        email=email,
        phone=phone,
        loyalty_number=loyalty_number,
        user=user,
        first_name=first_name,
        last_name=last_name,
        channel=channel,
        location=location,
        actor=actor,
        region=region,
    ).customer


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
    """An associate registers someone; an existing profile is found, not duplicated."""
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
    for channel, granted in (
        (ConsentChannel.EMAIL, email_consent),
        (ConsentChannel.SMS, sms_consent),
    ):
        if granted is not None:
            set_consent(
                customer=result.customer,
                channel=channel,
                granted=granted,
                source_channel=Channel.STORE,
                location=store,
                actor=actor,
            )
    return result


# --- Loyalty ------------------------------------------------------------------------


def _positive_points(points) -> int:
    if not isinstance(points, int) or isinstance(points, bool) or points <= 0:
        raise ValidationFailed(
            "Points must be a positive whole number.",
            extra={"points": ["Must be a positive whole number."]},
        )
    return points


@dataclass(frozen=True)
class PointsBooking:
    """One entry for the points ledger: ``customer`` (a profile or its id; a merged
    one is followed to the survivor), positive ``points``, the ``reason`` staff and
    the customer see, and the reference it is booked once for."""

    customer: Customer | int
    points: int
    reason: str
    reference_type: str = ""
    reference_id: str = ""
    actor: Any = None


def _book_points(
    *,
    kind: str,
    customer: Customer,
    points: int,
    reason: str,
    reference_type: str,
    reference_id,
    actor,
) -> LoyaltyTransaction:
    booking = PointsBooking(
        customer=customer,
        points=points,
        reason=reason,
        reference_type=reference_type,
        reference_id=reference_id,
        actor=actor,
    )
    booked = _book_many(kind=kind, bookings=[booking])
    if booked:
        return booked[0]
    return LoyaltyTransaction.objects.get(  # booked before: once per reference
        kind=kind,
        reference_type=reference_type,
        reference_id=str(reference_id or ""),
    )


def _book_many(
    *, kind: str, bookings: Sequence[PointsBooking]
) -> list[LoyaltyTransaction]:
    """The one writer of the points ledger, a fixed number of queries for any number
    of bookings. Every booking is checked before anything is written; the live
    profiles are locked in pk order; a reference is booked once (the unique key
    decides, in the same INSERT, so a booking made before or twice in ``bookings`` is
    skipped); only the rows that went in move the balances (one UPDATE, so bookings
    of one profile add up) and reach the timelines (one INSERT). Returns those rows
    in the order of ``bookings``."""
    amounts = [_positive_points(booking.points) for booking in bookings]
    if not bookings:
        return []
    live = _lock_many({getattr(b.customer, "pk", b.customer) for b in bookings})
    sign = 1 if kind == LoyaltyKind.EARN else -1
    entries: list[tuple[LoyaltyTransaction, PointsBooking]] = []
    referenced, unreferenced, seen = [], [], set()
    for booking, points in zip(bookings, amounts, strict=True):
        txn = LoyaltyTransaction(
            customer=live[getattr(booking.customer, "pk", booking.customer)],
            kind=kind,
            points=sign * points,
            reason=(booking.reason or "")[:250],
            reference_type=booking.reference_type or "",
            reference_id=str(booking.reference_id or ""),
            actor=(
                booking.actor
                if getattr(booking.actor, "is_authenticated", False)
                else None
            ),
        )
        reference = (txn.reference_type, txn.reference_id)
        if not txn.reference_id:
            unreferenced.append(txn)
        elif reference not in seen:
            seen.add(reference)
            referenced.append(txn)
        else:
            continue
        entries.append((txn, booking))
    insert_rows(
        referenced,
        ignore_duplicates=True,
        key=("kind", "reference_type", "reference_id"),
    )
    LoyaltyTransaction.objects.bulk_create(unreferenced)
    entries = [(txn, booking) for txn, booking in entries if txn.pk is not None]
    if not entries:
        return []
    totals: dict[int, int] = {}
    for txn, _ in entries:
        totals[txn.customer_id] = totals.get(txn.customer_id, 0) + txn.points
    Customer.objects.filter(pk__in=totals).update(
        points_balance=F("points_balance")
        + Case(
            *(When(pk=pk, then=Value(points)) for pk, points in totals.items()),
            default=Value(0),
            output_field=IntegerField(),
        )
    )
    event_kind = EVENT_POINTS_EARNED if sign > 0 else EVENT_POINTS_REVERSED
    record_events(
        [
            {
                "customer": txn.customer_id,
                "kind": event_kind,
                "summary": f"{txn.points:+} points: {booking.reason}",
                "actor": booking.actor,
                "data": {"points": txn.points},
                "reference_type": txn.reference_type,
                "reference_id": txn.reference_id,
            }
            for txn, booking in entries
        ],
        locked=True,
    )
    return [txn for txn, _ in entries]


def _in_transaction():
    """The caller's transaction when there is one, without a savepoint (a booking
    raises only before it writes, so nothing half-done is left to roll back to);
    otherwise a transaction of its own."""
    if transaction.get_connection().in_atomic_block:
        return nullcontext()
    return transaction.atomic()


def earn_points(
    *,
    customer: Customer,
    points: int,
    reason: str,
    reference_type: str = "",
    reference_id: str = "",
    actor=None,
) -> LoyaltyTransaction:
    """Credit points; the same (reference_type, reference_id) is credited once only."""
    with _in_transaction():
        return _book_points(
            kind=LoyaltyKind.EARN,
            customer=customer,
            points=points,
            reason=reason,
            reference_type=reference_type,
            reference_id=reference_id,
            actor=actor,
        )


def earn_points_in_bulk(
    *, bookings: Sequence[PointsBooking]
) -> list[LoyaltyTransaction]:
    """Credit many bookings (a batch of paid orders) with a fixed number of queries,
    each reference once, like ``earn_points``; returns the ledger rows written."""
    with _in_transaction():
        return _book_many(kind=LoyaltyKind.EARN, bookings=bookings)


def reverse_points(
    *,
    customer: Customer,
    points: int,
    reason: str,
    reference_type: str = "",
    reference_id: str = "",
    actor=None,
) -> LoyaltyTransaction:
    """Take back ``points`` (a positive number); once per reference, like earning."""
    with _in_transaction():
        return _book_points(
            kind=LoyaltyKind.REVERSE,
            customer=customer,
            points=points,
            reason=reason,
            reference_type=reference_type,
            reference_id=reference_id,
            actor=actor,
        )


# --- Consents, notes, profile -------------------------------------------------------


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
    _check_channel(source_channel, "source_channel")
    customer = _lock(customer)
    actor = actor if getattr(actor, "is_authenticated", False) else None
    current = Consent.objects.filter(customer=customer, channel=channel).first()
    if current is not None and current.granted == granted:
        return current
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
    record_event(
        customer=customer,
        kind=EVENT_CONSENT_GRANTED if granted else EVENT_CONSENT_WITHDRAWN,
        summary=(
            f"{label} consent {'granted' if granted else 'withdrawn'} "
            f"({_where(source_channel, location)}{by})"
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


@transaction.atomic
def add_note(*, customer: Customer, text: str, actor, location=None) -> StaffNote:
    """A staff note, shown on the timeline so every shop sees it."""
    text = (text or "").strip()
    if not text:
        raise ValidationFailed("Write a note first.", extra={"text": ["Required."]})
    if len(text) > 2000:
        raise ValidationFailed(
            "Keep notes under 2000 characters.", extra={"text": ["Too long."]}
        )
    customer = _live(customer)
    note = StaffNote.objects.create(
        customer=customer, text=text, author=actor, location=location
    )
    record_event(
        customer=customer,
        kind=EVENT_NOTE_ADDED,
        summary=text if len(text) <= 255 else text[:254] + "…",
        actor=actor,
        location=location,
        channel=Channel.STORE if location is not None else "",
        reference_type="staff_note",
        reference_id=str(note.pk),
    )
    return note


def _clean_preferences(value) -> dict:
    if not isinstance(value, dict):
        raise ValidationFailed(
            "Preferences must be an object.",
            extra={"preferences": ["Must be an object."]},
        )
    unknown = set(value) - {"sizes", "favourite_categories"}
    if unknown:
        raise ValidationFailed(
            "Unknown preference.",
            extra={"preferences": [f"Unknown keys: {', '.join(sorted(unknown))}."]},
        )
    sizes = value.get("sizes", {})
    favourites = value.get("favourite_categories", [])
    if not isinstance(sizes, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and 0 < len(v) <= 20
        for k, v in sizes.items()
    ):
        raise ValidationFailed(
            "Sizes must map a category to a size.",
            extra={"preferences": ["sizes: {category_slug: size} expected."]},
        )
    if not isinstance(favourites, list) or not all(
        isinstance(x, str) for x in favourites
    ):
        raise ValidationFailed(
            "Favourite categories must be a list.",
            extra={"preferences": ["favourite_categories: list of slugs expected."]},
        )
    slugs = set(sizes) | set(favourites)
    known = set(Category.objects.filter(slug__in=slugs).values_list("slug", flat=True))
    if slugs - known:
        raise ValidationFailed(
            "Unknown category.",
            extra={
                "preferences": [
                    f"Unknown categories: {', '.join(sorted(slugs - known))}."
                ]
            },
        )
    return {
        "sizes": dict(sizes),
        "favourite_categories": list(dict.fromkeys(favourites)),
    }


def _clean_store(value) -> Location | None:
    if value is None or value == "":
        return None
    pk = value.pk if isinstance(value, Location) else value
    store = None
    if str(pk).isdigit():
        shops = Location.objects.filter(kind=LocationKind.SHOP, active=True)
        store = shops.filter(pk=pk).first()
    if store is None:
        raise ValidationFailed(
            "Choose an open shop.", extra={"preferred_store": ["Not an active shop."]}
        )
    return store


@transaction.atomic
def update_profile(
    *,
    customer: Customer,
    actor=None,
    channel: str = "",
    first_name=_UNSET,
    last_name=_UNSET,
    birthday=_UNSET,
    preferred_store=_UNSET,
    preferences=_UNSET,
) -> Customer:
    """Change only the fields given; the change is on the timeline."""
    customer = _lock(customer)
    if customer.is_anonymised:
        raise Conflict("This profile was erased.")
    changes: dict[str, Any] = {}
    if first_name is not _UNSET:
        changes["first_name"] = (first_name or "").strip()[:100]
    if last_name is not _UNSET:
        changes["last_name"] = (last_name or "").strip()[:100]
    if birthday is not _UNSET:
        if birthday is not None and birthday > timezone.localdate():
            raise ValidationFailed(
                "A birthday cannot be in the future.",
                extra={"birthday": ["Cannot be in the future."]},
            )
        changes["birthday"] = birthday
    if preferred_store is not _UNSET:
        changes["preferred_store"] = _clean_store(preferred_store)
    if preferences is not _UNSET:
        changes["preferences"] = _clean_preferences(preferences)
    changed = [f for f, v in changes.items() if getattr(customer, f) != v]
    if not changed:
        return customer
    for field in changed:
        setattr(customer, field, changes[field])
    customer.save(update_fields=[*changed, "updated_at"])
    record_event(
        customer=customer,
        kind=EVENT_PROFILE_UPDATED,
        summary="Profile updated: " + ", ".join(f.replace("_", " ") for f in changed),
        actor=actor,
        channel=channel,
        data={"fields": changed},
    )
    return customer


@transaction.atomic
def dismiss_duplicate(*, candidate: DuplicateCandidate, actor) -> DuplicateCandidate:
    """Staff decided the two profiles are different people."""
    candidate = DuplicateCandidate.objects.select_for_update().get(pk=candidate.pk)
    if candidate.status != DuplicateStatus.PENDING:
        raise Conflict("This pair was already decided.")
    candidate.status = DuplicateStatus.DISMISSED
    candidate.resolved_by = actor
    candidate.resolved_at = timezone.now()
    candidate.save(update_fields=["status", "resolved_by", "resolved_at"])
    return candidate


# --- Merge --------------------------------------------------------------------------

# Relations to Customer that the merge handles itself rather than re-pointing.
_MERGE_OWN = {CustomerMerge, DuplicateCandidate, Consent}


def _reverse_relations():
    """Every foreign key (and m2m through-table key) pointing at Customer, in any app.

    ``_meta.related_objects`` hides relations declared with ``related_name="+"``; they
    must move too, so hidden ones are included (m2m are reached by their through table).
    """
    for rel in Customer._meta.get_fields(include_hidden=True):
        if not (rel.auto_created and not rel.concrete and rel.is_relation):
            continue
        if rel.many_to_many:
            continue
        model = rel.related_model
        if model in _MERGE_OWN or model._meta.proxy:
            continue
        yield model, rel.field


def _move_rows(model, field, *, survivor: Customer, other: Customer) -> tuple[int, int]:
    """Re-point rows from ``other`` to ``survivor``; returns (moved, kept behind).

    A row whose move would break a uniqueness rule (one per customer) stays where it
    is; the app owning it folds it in from ``customer_merging``.
    """
    manager = model._base_manager
    rows = manager.filter(**{field.attname: other.pk})
    if field.unique:
        if manager.filter(**{field.attname: survivor.pk}).exists():
            return 0, rows.count()
        return rows.update(**{field.attname: survivor.pk}), 0
    try:
        with transaction.atomic():
            return rows.update(**{field.attname: survivor.pk}), 0
    except IntegrityError:
        pass
    moved = kept = 0
    for pk in rows.values_list("pk", flat=True).order_by("pk"):
        try:
            with transaction.atomic():
                manager.filter(pk=pk).update(**{field.attname: survivor.pk})
            moved += 1
        except IntegrityError:
            kept += 1
    return moved, kept


def _merge_consents(survivor: Customer, other: Customer) -> int:
    """The later decision per channel wins: it is the person's most recent word."""
    mine = {c.channel: c for c in Consent.objects.filter(customer=survivor)}
    moved = 0
    for theirs in Consent.objects.filter(customer=other):
        current = mine.get(theirs.channel)
        if current is None:
            theirs.customer = survivor
            theirs.save(update_fields=["customer"])
            moved += 1
            continue
        if theirs.updated_at > current.updated_at:
            for f in ("granted", "source_channel", "location", "actor", "updated_at"):
                setattr(current, f, getattr(theirs, f))
            current.save()
            moved += 1
        theirs.delete()
    return moved


def _merge_duplicates(survivor: Customer, other: Customer, actor) -> None:
    now = timezone.now()
    pair = sorted([survivor.pk, other.pk])
    DuplicateCandidate.objects.filter(
        customer_a_id=pair[0], customer_b_id=pair[1]
    ).update(status=DuplicateStatus.MERGED, resolved_by=actor, resolved_at=now)
    pending = DuplicateCandidate.objects.filter(
        Q(customer_a=other) | Q(customer_b=other), status=DuplicateStatus.PENDING
    )
    for candidate in pending:
        third_id = (
            candidate.customer_b_id
            if candidate.customer_a_id == other.pk
            else candidate.customer_a_id
        )
        if third_id != survivor.pk:
            third = Customer(pk=third_id)
            flag_duplicate(
                customer=survivor,
                other=third,
                reason=candidate.reason,
                channel=candidate.channel,
            )
    pending.update(status=DuplicateStatus.MERGED, resolved_by=actor, resolved_at=now)


@transaction.atomic
def merge_customers(*, survivor: Customer, other: Customer, actor) -> CustomerMerge:
    """Fold ``other`` into ``survivor``; ``other`` stays as a pointer to the survivor.

    Both rows are locked in pk order (the order every merge uses) so two merges of
    overlapping pairs cannot deadlock, and a checkout holding the loser's lock finishes
    first. Rows of every app pointing at the loser are re-pointed here, so models added
    later (orders, returns, wishlists) move without this app knowing them.
    """
    if survivor.pk == other.pk:
        raise ValidationFailed(
            "Choose two different customers.", extra={"other": ["Same customer."]}
        )
    locked = {
        c.pk: c
        for c in Customer.objects.select_for_update()
        .filter(pk__in=[survivor.pk, other.pk])
        .order_by("pk")
    }
    if len(locked) != 2:
        raise NotFound("Customer not found.")
    survivor, other = locked[survivor.pk], locked[other.pk]
    for customer in (survivor, other):
        if customer.merged_into_id is not None:
            raise Conflict(
                f"Customer {customer.pk} was already merged into "
                f"{customer.merged_into_id}.",
                extra={"merged_into": customer.merged_into_id},
            )

    summary: dict[str, Any] = {
        "merged": {
            "id": other.pk,
            "name": other.full_name,
            "loyalty_number": other.loyalty_number,
        }
    }
    customer_merging.send(
        sender=Customer, survivor=survivor, other=other, summary=summary
    )

    summary["consents"] = _merge_consents(survivor, other)
    _merge_duplicates(survivor, other, actor)
    moved: dict[str, int] = {}
    kept: dict[str, int] = {}
    for model, field in _reverse_relations():
        done, left = _move_rows(model, field, survivor=survivor, other=other)
        label = f"{model._meta.label_lower}.{field.name}"
        if done:
            moved[label] = done
        if left:
            kept[label] = left
    summary["moved"] = moved
    if kept:
        summary["kept_on_merged"] = kept
    summary["points"] = other.points_balance
    summary["store_credit"] = str(other.store_credit_balance)

    # Profile fields: the survivor's win, the loser's fill the blanks.
    fields = ["points_balance", "store_credit_balance", "merged_into", "updated_at"]
    survivor.points_balance = F("points_balance") + other.points_balance
    survivor.store_credit_balance = (
        F("store_credit_balance") + other.store_credit_balance
    )
    survivor_fields = ["points_balance", "store_credit_balance", "updated_at"]
    for name in (
        "first_name",
        "last_name",
        "email",
        "phone",
        "birthday",
        "preferred_store",
    ):
        if not getattr(survivor, name) and getattr(other, name):
            setattr(survivor, name, getattr(other, name))
            survivor_fields.append(name)
    prefs = other.preferences or {}
    if prefs:
        merged_prefs = dict(survivor.preferences or {})
        merged_prefs["sizes"] = {
            **prefs.get("sizes", {}),
            **merged_prefs.get("sizes", {}),
        }
        merged_prefs["favourite_categories"] = list(
            dict.fromkeys(
                [
                    *merged_prefs.get("favourite_categories", []),
                    *prefs.get("favourite_categories", []),
                ]
            )
        )
        survivor.preferences = merged_prefs
        survivor_fields.append("preferences")
    move_user = survivor.user_id is None and other.user_id is not None
    user = other.user if move_user else None

    other.points_balance = 0
    other.store_credit_balance = Decimal("0.00")
    other.merged_into = survivor
    if move_user:
        other.user = None
        fields.append("user")
    other.save(update_fields=fields)
    if move_user:
        survivor.user = user
        survivor_fields.append("user")
    survivor.save(update_fields=survivor_fields)
    survivor.refresh_from_db()
    if move_user:
        summary["user"] = user.pk

    merge = CustomerMerge.objects.create(
        survivor=survivor,
        merged=other,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        summary=summary,
    )
    name = other.full_name or f"#{other.pk}"
    record_event(
        customer=survivor,
        kind=EVENT_MERGED,
        summary=f"Profile {name} (#{other.pk}) merged into this one",
        actor=actor,
        data=summary,
        reference_type="customer_merge",
        reference_id=str(merge.pk),
    )
    customer_merged.send(sender=Customer, survivor=survivor, other=other, merge=merge)
    webhooks.emit(
        "customer.merged",
        {"survivor_id": survivor.pk, "merged_id": other.pk, "merge_id": merge.pk},
    )
    return merge


# --- Erasure ------------------------------------------------------------------------


@transaction.atomic
def erase_customer(*, customer: Customer, actor=None, channel: str = "") -> Customer:
    """Forget the person, keep the books.

    Names, contact data, identities, addresses, preferences and note texts go;
    consents are withdrawn (the withdrawal stays as proof); orders and ledgers stay for
    accounting, on an anonymous profile. The login is disabled. Erasing twice changes
    nothing.
    """
    customer = _lock(customer)
    if customer.is_anonymised:
        return customer
    for consent in Consent.objects.filter(customer=customer, granted=True):
        set_consent(
            customer=customer,
            channel=consent.channel,
            granted=False,
            source_channel=channel or customer.created_channel,
            actor=actor,
        )
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
        resolved_by=actor if getattr(actor, "is_authenticated", False) else None,
        resolved_at=timezone.now(),
    )
    user = customer.user
    if user is not None:
        from rest_framework.authtoken.models import Token

        Token.objects.filter(user=user).delete()
        user.username = f"erased-{user.pk}"
        user.email = ""
        user.first_name = ""
        user.last_name = ""
        user.is_active = False
        user.set_unusable_password()
        user.save()
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


# --- Storefront accounts ------------------------------------------------------------


@dataclass(frozen=True)
class Registration:
    user: Any
    customer: Customer
    token: str


@transaction.atomic
def register_customer(
    *,
    email,
    password: str,
    first_name: str = "",
    last_name: str = "",
    phone=None,
    channel: str = Channel.WEB,
) -> Registration:
    """A storefront login and its profile: an existing profile with the same email or
    phone (a guest order, a shop sale) becomes this login's profile."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.password_validation import validate_password
    from rest_framework.authtoken.models import Token

    from omnistore.accounts.models import Role

    if channel not in (Channel.WEB, Channel.APP):
        raise ValidationFailed(
            "Sign-up comes from the website or the app.",
            extra={"channel": ["Must be web or app."]},
        )
    address = normalize_email(email)
    if address is None:
        raise ValidationFailed(
            "Enter a valid email address.",
            extra={"email": ["Enter a valid email address."]},
        )
    user_model = get_user_model()
    taken = user_model.objects.filter(
        Q(email__iexact=address) | Q(username__iexact=address)
    ).exists()
    if taken:
        raise ValidationFailed(
            "An account with this email already exists.",
            extra={"email": ["An account with this email already exists."]},
            code="email_taken",
        )
    user = user_model(
        username=address,
        email=address,
        first_name=(first_name or "").strip()[:150],
        last_name=(last_name or "").strip()[:150],
        role=Role.CUSTOMER,
    )
    try:
        validate_password(password or "", user=user)
    except DjangoValidationError as error:
        raise ValidationFailed(
            "Choose a stronger password.", extra={"password": list(error.messages)}
        ) from None
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        raise ValidationFailed(
            "An account with this email already exists.",
            extra={"email": ["An account with this email already exists."]},
            code="email_taken",
        ) from None
    customer = match_customer(
        email=address,
        phone=phone,
        user=user,
        first_name=first_name,
        last_name=last_name,
        channel=channel,
    )
    token, _ = Token.objects.get_or_create(user=user)
    return Registration(user=user, customer=customer, token=token.key)


def issue_token(*, email, password: str) -> str:
    """The API token of a storefront customer; staff sign in to the staff UI instead."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from rest_framework.authtoken.models import Token

    from omnistore.accounts.models import Role

    refused = ValidationFailed(
        "Wrong email or password.",
        code="invalid_credentials",
        extra={"non_field_errors": ["Wrong email or password."]},
    )
    address = normalize_email(email)
    if address is None or not password:
        raise refused
    user = (
        get_user_model()
        .objects.filter(
            Q(username__iexact=address) | Q(email__iexact=address),
            role=Role.CUSTOMER,
            is_active=True,
        )
        .order_by("pk")
        .first()
    )
    if user is None:
        make_password(password)  # the same time spent whether or not the user exists
        raise refused
    if not user.check_password(password):
        raise refused
    token, _ = Token.objects.get_or_create(user=user)
    return token.key


# --- Wishlists ----------------------------------------------------------------------
#
# Every write locks the customer row first and then the list, the order a merge takes
# (it locks customers, then re-points their lists), so the two never deadlock and a
# list moved by a merge is written on the survivor. An item added by an associate is
# theirs and their shop's on the record; the customer sees who added it.

EVENT_WISHLIST_CREATED = "wishlist_created"
EVENT_WISHLIST_RENAMED = "wishlist_renamed"
EVENT_WISHLIST_ARCHIVED = "wishlist_archived"
EVENT_WISHLIST_ITEM_ADDED = "wishlist_item_added"
EVENT_WISHLIST_ITEM_UPDATED = "wishlist_item_updated"
EVENT_WISHLIST_ITEM_REMOVED = "wishlist_item_removed"
EVENT_WISHLIST_SHARED = "wishlist_shared"
WISHLIST_SHARE_TOPIC = "customers.wishlist_share"

WISHLIST_NAME_MAX = 100
WISHLIST_NOTE_MAX = 250
SHARE_MESSAGE_MAX = 500
# Far above any real use; they stop a runaway client from growing a list forever.
MAX_WISHLISTS = 20
MAX_WISHLIST_ITEMS = 300


@dataclass(frozen=True)
class WishlistItemAdded:
    item: WishlistItem
    created: bool


def _wishlist_channel(channel: str) -> str:
    if channel not in WishlistChannel.values:
        raise ValidationFailed(
            f"Unknown channel '{channel}'.",
            extra={
                "channel": [f"Must be one of: {', '.join(WishlistChannel.values)}."]
            },
        )
    return channel


def _acting_staff(actor):
    """The associate acting on the customer's behalf; None when the customer acts."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return None
    return actor if actor.is_store_staff else None


def _by_staff(staff, location) -> str:
    if staff is None:
        return ""
    where = f" at {location.name}" if location is not None else ""
    return f" — by {staff.display_name}{where}"


def _clean_wishlist_name(name, *, default: str | None = None) -> str:
    text = " ".join(str(name or "").split())
    if not text:
        if default is not None:
            return default
        raise ValidationFailed("Give the list a name.", extra={"name": ["Required."]})
    if len(text) > WISHLIST_NAME_MAX:
        raise ValidationFailed(
            "Keep the name short.",
            extra={"name": [f"At most {WISHLIST_NAME_MAX} characters."]},
        )
    return text


def _clean_wishlist_note(note) -> str:
    text = " ".join(str(note or "").split())
    if len(text) > WISHLIST_NOTE_MAX:
        raise ValidationFailed(
            "Keep the note short.",
            extra={"note": [f"At most {WISHLIST_NOTE_MAX} characters."]},
        )
    return text


def _wishlist_variant(variant) -> Variant:
    pk = variant.pk if isinstance(variant, Variant) else variant
    found = None
    if str(pk).isdigit():
        found = (
            Variant.objects.select_related("product")
            .filter(pk=pk, active=True, product__active=True)
            .first()
        )
    if found is None:
        raise ValidationFailed(
            "This item is not sold any more.",
            extra={"variant": ["Unknown or discontinued item."]},
        )
    return found


def _writable(customer: Customer) -> Customer:
    if customer.is_anonymised:
        raise Conflict("This profile was erased.")
    return customer


def _lock_wishlist(wishlist: Wishlist | int) -> tuple[Customer, Wishlist]:
    """Lock the owner, then the list; an archived or unknown list is not found."""
    pk = wishlist.pk if isinstance(wishlist, Wishlist) else wishlist
    owner_id = (
        Wishlist.objects.filter(pk=pk).values_list("customer_id", flat=True).first()
    )
    if owner_id is None:
        raise NotFound("Wishlist not found.")
    customer = _writable(_lock(owner_id))
    locked = Wishlist.objects.select_for_update().filter(pk=pk).first()
    if locked is None or locked.archived_at is not None:
        raise NotFound("Wishlist not found.")
    if locked.customer_id != customer.pk:  # pragma: no cover - merges re-point first
        raise NotFound("Wishlist not found.")
    locked.customer = customer
    return customer, locked


def _touch_wishlist(wishlist: Wishlist) -> None:
    """``updated_at`` moves with the contents: sharing an unchanged list is done once."""
    wishlist.save(update_fields=["updated_at"])


def _default_wishlist_locked(customer: Customer) -> Wishlist:
    wishlist = (
        Wishlist.objects.select_for_update()
        .filter(customer=customer, archived_at__isnull=True)
        .order_by("created_at", "id")
        .first()
    )
    if wishlist is None:
        wishlist = Wishlist.objects.create(
            customer=customer, name=WISHLIST_DEFAULT_NAME
        )
    wishlist.customer = customer
    return wishlist


@transaction.atomic
def ensure_default_wishlist(*, customer: Customer) -> Wishlist:
    """The customer's first open list, created ("My wishlist") when they have none."""
    customer = _writable(_lock(customer))
    return _default_wishlist_locked(customer)


@transaction.atomic
def create_wishlist(
    *,
    customer: Customer,
    name: str = "",
    actor=None,
    location=None,
    channel: str,
) -> Wishlist:
    _wishlist_channel(channel)
    name = _clean_wishlist_name(name, default=WISHLIST_DEFAULT_NAME)
    customer = _writable(_lock(customer))
    if (
        Wishlist.objects.filter(customer=customer, archived_at__isnull=True).count()
        >= MAX_WISHLISTS
    ):
        raise ValidationFailed(
            "Too many lists: archive one first.",
            extra={"name": [f"At most {MAX_WISHLISTS} open lists."]},
        )
    staff = _acting_staff(actor)
    location = location or (staff.store if staff is not None else None)
    wishlist = Wishlist.objects.create(customer=customer, name=name)
    record_event(
        customer=customer,
        kind=EVENT_WISHLIST_CREATED,
        summary=f"Wishlist “{name}” created{_by_staff(staff, location)}",
        actor=actor,
        location=location,
        channel=channel,
        data={"wishlist_id": wishlist.pk},
        reference_type="wishlist",
        reference_id=str(wishlist.pk),
    )
    return wishlist


@transaction.atomic
def add_wishlist_item(
    *,
    wishlist: Wishlist | int | None = None,
    customer: Customer | None = None,
    variant: Variant | int,
    note: str = "",
    actor=None,
    location=None,
    channel: str,
) -> WishlistItemAdded:
    """Put ``variant`` on ``wishlist`` (or on the customer's default list).

    A variant already on the list is not added twice: a new note replaces the old one.
    When an associate acts, the item is theirs and their shop's (``location`` or their
    home shop).
    """
    if (wishlist is None) == (customer is None):
        raise ValueError("Give either a wishlist or a customer.")
    _wishlist_channel(channel)
    note = _clean_wishlist_note(note)
    variant = _wishlist_variant(variant)
    staff = _acting_staff(actor)
    location = location or (staff.store if staff is not None else None)
    if wishlist is not None:
        customer, wishlist = _lock_wishlist(wishlist)
    else:
        customer = _writable(_lock(customer))
        wishlist = _default_wishlist_locked(customer)

    active = wishlist.items.filter(removed_at__isnull=True)
    existing = active.filter(variant=variant).first()
    label = f"{variant.name} · {variant.sku}"
    event = {
        "customer": customer,
        "actor": actor,
        "location": location,
        "channel": channel,
        "reference_type": "wishlist",
        "reference_id": str(wishlist.pk),
    }
    if existing is not None:
        existing.variant = variant
        existing.wishlist = wishlist
        if note and note != existing.note:
            existing.note = note
            existing.save(update_fields=["note"])
            _touch_wishlist(wishlist)
            record_event(
                kind=EVENT_WISHLIST_ITEM_UPDATED,
                summary=(
                    f"Note changed on “{wishlist.name}”: {label}"
                    f"{_by_staff(staff, location)}"
                ),
                data={"item_id": existing.pk, "variant_id": variant.pk},
                **event,
            )
        return WishlistItemAdded(item=existing, created=False)
    if active.count() >= MAX_WISHLIST_ITEMS:
        raise ValidationFailed(
            "This list is full: remove something first.",
            extra={"variant": [f"At most {MAX_WISHLIST_ITEMS} items on a list."]},
        )
    item = WishlistItem.objects.create(
        wishlist=wishlist,
        variant=variant,
        note=note,
        added_by_staff=staff,
        added_at_location=location,
        added_via=channel,
        price_at_add=variant.price,
    )
    _touch_wishlist(wishlist)
    record_event(
        kind=EVENT_WISHLIST_ITEM_ADDED,
        summary=f"Added to “{wishlist.name}”: {label}{_by_staff(staff, location)}",
        data={
            "wishlist_id": wishlist.pk,
            "item_id": item.pk,
            "variant_id": variant.pk,
            "sku": variant.sku,
            "price": str(variant.price),
        },
        **event,
    )
    return WishlistItemAdded(item=item, created=True)


@transaction.atomic
def remove_wishlist_item(
    *,
    wishlist: Wishlist | int,
    item_id,
    actor=None,
    location=None,
    channel: str,
) -> WishlistItem:
    """Take an item off the list; the row stays (``removed_at``) for the history."""
    _wishlist_channel(channel)
    staff = _acting_staff(actor)
    location = location or (staff.store if staff is not None else None)
    customer, wishlist = _lock_wishlist(wishlist)
    item = None
    if str(item_id).isdigit():
        item = (
            wishlist.items.select_related("variant__product")
            .filter(pk=item_id, removed_at__isnull=True)
            .first()
        )
    if item is None:
        raise NotFound("This item is not on the list.")
    item.removed_at = timezone.now()
    item.removed_by = actor if getattr(actor, "is_authenticated", False) else None
    item.save(update_fields=["removed_at", "removed_by"])
    _touch_wishlist(wishlist)
    record_event(
        customer=customer,
        kind=EVENT_WISHLIST_ITEM_REMOVED,
        summary=(
            f"Removed from “{wishlist.name}”: {item.variant.name} · "
            f"{item.variant.sku}{_by_staff(staff, location)}"
        ),
        actor=actor,
        location=location,
        channel=channel,
        data={"wishlist_id": wishlist.pk, "item_id": item.pk},
        reference_type="wishlist",
        reference_id=str(wishlist.pk),
    )
    return item


@transaction.atomic
def rename_wishlist(
    *, wishlist: Wishlist | int, name: str, actor=None, location=None, channel: str
) -> Wishlist:
    _wishlist_channel(channel)
    name = _clean_wishlist_name(name)
    customer, wishlist = _lock_wishlist(wishlist)
    if name == wishlist.name:
        return wishlist
    before = wishlist.name
    wishlist.name = name
    wishlist.save(update_fields=["name", "updated_at"])
    staff = _acting_staff(actor)
    location = location or (staff.store if staff is not None else None)
    record_event(
        customer=customer,
        kind=EVENT_WISHLIST_RENAMED,
        summary=f"Wishlist “{before}” renamed “{name}”{_by_staff(staff, location)}",
        actor=actor,
        location=location,
        channel=channel,
        data={"wishlist_id": wishlist.pk},
        reference_type="wishlist",
        reference_id=str(wishlist.pk),
    )
    return wishlist


@transaction.atomic
def archive_wishlist(
    *, wishlist: Wishlist | int, actor=None, location=None, channel: str
) -> Wishlist:
    """Hide a list and cut its shared link; its items stay on record."""
    _wishlist_channel(channel)
    customer, wishlist = _lock_wishlist(wishlist)
    wishlist.archived_at = timezone.now()
    wishlist.archived_by = actor if getattr(actor, "is_authenticated", False) else None
    wishlist.save(update_fields=["archived_at", "archived_by", "updated_at"])
    staff = _acting_staff(actor)
    location = location or (staff.store if staff is not None else None)
    record_event(
        customer=customer,
        kind=EVENT_WISHLIST_ARCHIVED,
        summary=f"Wishlist “{wishlist.name}” deleted{_by_staff(staff, location)}",
        actor=actor,
        location=location,
        channel=channel,
        data={"wishlist_id": wishlist.pk},
        reference_type="wishlist",
        reference_id=str(wishlist.pk),
    )
    return wishlist


def _masked_email(address: str) -> str:
    local, _, domain = address.partition("@")
    return f"{local[:1]}…@{domain}"


@transaction.atomic
def share_wishlist_by_email(
    *,
    wishlist: Wishlist | int,
    email,
    message: str = "",
    actor=None,
    location=None,
    channel: str,
) -> bool:
    """Email the list to someone, after commit, through the outbox.

    The same list with the same contents goes to the same address once (a double
    tap, a retried request); after the list changes it can be sent again. Returns
    whether an email was queued.
    """
    _wishlist_channel(channel)
    address = normalize_email(email, strict=True)
    message = " ".join(str(message or "").split())
    if len(message) > SHARE_MESSAGE_MAX:
        raise ValidationFailed(
            "Keep the message short.",
            extra={"message": [f"At most {SHARE_MESSAGE_MAX} characters."]},
        )
    customer, wishlist = _lock_wishlist(wishlist)
    if not wishlist.items.filter(removed_at__isnull=True).exists():
        raise ValidationFailed(
            "Add something to the list before sharing it.",
            extra={"wishlist": ["The list is empty."]},
        )
    version = f"{address}|{wishlist.updated_at.isoformat()}|{message}"
    digest = hashlib.sha256(version.encode()).hexdigest()[:40]
    queued = outbox.enqueue(
        WISHLIST_SHARE_TOPIC,
        {"wishlist_id": wishlist.pk, "to": address, "message": message},
        dedupe_key=f"{WISHLIST_SHARE_TOPIC}:{wishlist.pk}:{digest}",
    )
    if queued is None:
        return False
    staff = _acting_staff(actor)
    location = location or (staff.store if staff is not None else None)
    record_event(
        customer=customer,
        kind=EVENT_WISHLIST_SHARED,
        summary=(
            f"Wishlist “{wishlist.name}” shared by email with "
            f"{_masked_email(address)}{_by_staff(staff, location)}"
        ),
        actor=actor,
        location=location,
        channel=channel,
        data={"wishlist_id": wishlist.pk, "to": address},
        reference_type="wishlist",
        reference_id=str(wishlist.pk),
    )
    return True


def shared_wishlist_url(wishlist: Wishlist) -> str:
    path = reverse("customers-api:wishlist-shared", args=[wishlist.share_token])
    return settings.OMNISTORE_SITE_URL.rstrip("/") + path


@outbox.handler(WISHLIST_SHARE_TOPIC)
def deliver_wishlist_share(payload: dict) -> None:
    """Render the list as it is now; a list deleted or emptied since sends nothing."""
    wishlist = (
        Wishlist.objects.select_related("customer")
        .filter(pk=payload["wishlist_id"], archived_at__isnull=True)
        .first()
    )
    if wishlist is None:
        return
    items = list(
        wishlist.items.filter(removed_at__isnull=True)
        .select_related("variant__product")
        .order_by("-added_at", "-id")
    )
    if not items:
        return
    owner = wishlist.customer.first_name or "Someone"
    context = {
        "owner": owner,
        "wishlist": wishlist,
        "items": items,
        "message": payload.get("message", ""),
        "url": shared_wishlist_url(wishlist),
        "currency": settings.OMNISTORE_CURRENCY,
    }
    subject = " ".join(f"{owner} shared a wishlist with you: {wishlist.name}".split())
    EmailMessage(
        subject=subject,
        body=render_to_string("customers/email/wishlist_share.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[payload["to"]],
    ).send()


# Kinds whose summary carries a list name the customer chose (it may be personal).
_WISHLIST_NAMED_KINDS = (
    EVENT_WISHLIST_CREATED,
    EVENT_WISHLIST_RENAMED,
    EVENT_WISHLIST_ARCHIVED,
    EVENT_WISHLIST_SHARED,
)


def _forget_wishlist_texts(sender, customer: Customer, **kwargs) -> None:
    """On erasure, notes and list names go and shared links stop working; what was
    wanted stays, anonymous, like the orders."""
    lists = list(Wishlist.objects.filter(customer=customer))
    WishlistItem.objects.filter(wishlist__in=lists).exclude(note="").update(note="")
    for wishlist in lists:
        wishlist.name = WISHLIST_DEFAULT_NAME
        wishlist.share_token = new_share_token()
        wishlist.save(update_fields=["name", "share_token", "updated_at"])
    CustomerEvent.objects.filter(
        customer=customer, kind__in=_WISHLIST_NAMED_KINDS
    ).update(summary=ERASED_TEXT)


customer_erased.connect(
    _forget_wishlist_texts, dispatch_uid="customers.wishlists.forget_texts"
)
