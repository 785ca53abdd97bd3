"""Matching whoever arrives to one profile.

- an identity (kind, value) belongs to at most one customer (a unique constraint); when
  two requests race to create the same person, the loser's insert fails and it re-reads;
- two profiles are never merged automatically: conflicting identities are recorded as a
  ``DuplicateCandidate`` for staff.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction

from customers.models import (
    Customer,
    CustomerIdentity,
    IdentityKind,
)
from customers.selectors.identities import (
    survivor_of,
)
from customers.selectors.profiles import contact_holders, leads_to_login
from customers.services.common import check_channel, where_label
from customers.services.identities import (
    clean_identities,
    flag_duplicate,
    generate_loyalty_number,
    lock_customer,
)
from customers.services.in_person import (
    attach_identity,
    confirm_in_person,
    flag_contact_holders,
    unproven_identities,
)
from customers.services.timeline import EVENT_CREATED, record_event
from omnistore.core import webhooks
from omnistore.core.channels import is_online
from omnistore.core.db import connection_for, insert_rows, load
from omnistore.core.exceptions import Conflict, ValidationFailed

# --- Matching -----------------------------------------------------------------------

# When a request's identities belong to different profiles, the first one here wins.
_STRENGTH = ("user", IdentityKind.LOYALTY, IdentityKind.EMAIL, IdentityKind.PHONE)
_STRENGTH_LABEL = {
    "user": "login",
    IdentityKind.LOYALTY: "loyalty card",
    IdentityKind.EMAIL: "email",
    IdentityKind.PHONE: "phone",
}


def _create_customer(
    *,
    first_name: str,
    last_name: str,
    channel: str,
    location=None,
    user=None,
    actor=None,
    order_number: str = "",
) -> Customer:
    """A new profile with its own loyalty card (number retried on a collision);
    ``order_number`` names the purchase that makes it, if one does."""
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
                    created_by_order=order_number,
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
            summary=f"Profile created ({where_label(channel, location)})",
            actor=actor,
            location=location,
            channel=channel,
        )
        return customer
    raise Conflict("Could not issue a loyalty number; try again.")  # pragma: no cover


@dataclass(frozen=True)
class MatchResult:
    customer: Customer
    created: bool
    duplicates: tuple[int, ...] = ()
    # Consents a counter registration found withdrawn on the profile and left so.
    withdrawn_kept: tuple[str, ...] = ()


def _owners(
    wanted: dict[str, str], user, withheld: dict[str, Customer] | None = None
) -> dict[str, Customer | None]:
    """The live profile (or None) owning the login and each identity given. Without
    a login, an identity that does not lead to its owner's login counts as no one's
    and its owner goes into ``withheld`` (flagged, never attached to)."""
    owners: dict[str, Customer | None] = {}
    if user is not None:
        profile = Customer.objects.filter(user=user).first()
        owners["user"] = survivor_of(profile) if profile else None
    for kind, value in wanted.items():
        identity = (
            CustomerIdentity.objects.select_related("customer")
            .filter(kind=kind, value=value)
            .first()
        )
        owners[kind] = survivor_of(identity.customer) if identity else None
        owner = owners[kind]
        if user is None and owner is not None and not leads_to_login(identity, owner):
            owners[kind] = None
            if withheld is not None:
                withheld[kind] = owner
    if IdentityKind.LOYALTY in wanted and owners[IdentityKind.LOYALTY] is None:
        raise ValidationFailed(
            "Unknown loyalty card.", extra={"loyalty_number": ["Unknown loyalty card."]}
        )
    return owners


def reached_by(kind: str, value: str) -> tuple[Customer | None, Customer | None]:
    """Whom a match by this one identity reaches for someone not signed in, and the
    profile passed over because the identity does not lead to its login, or because
    it is only that profile's contact, never confirmed (reads only: the checkout's
    own match locks)."""
    withheld: dict[str, Customer] = {}
    try:
        owners = _owners({kind: value}, None, withheld)
    except ValidationFailed:  # an unknown loyalty card
        return None, None
    if owners.get(kind) is None and kind not in withheld:
        # no identity at all: an account's own address or number (a sign-up's),
        # never confirmed, is no identity either
        return None, contact_holders(kind, value).first()
    return owners.get(kind), withheld.get(kind)


def _choose_profile(
    owners, *, user, channel: str, new_profile
) -> tuple[Customer, bool]:
    """The strongest owner, locked, or a new profile; returns (profile, created).

    A login arriving with another login's identity gets its own profile, flagged.
    """
    ranked = [owners.get(k) for k in _STRENGTH]
    matched = next((c for c in ranked if c is not None), None)
    if matched is None:
        return new_profile(), True
    matched = lock_customer(matched)
    if user is None or owners.get("user") is not None:
        return matched, False
    if matched.user_id is None:
        matched.user = user
        matched.save(update_fields=["user", "updated_at"])
        return matched, False
    # The profile already has another login: this login gets its own
    # profile, and staff decide whether they are one person.
    first = matched
    matched = new_profile()
    owners["user"] = matched
    flag_duplicate(
        customer=first,
        other=matched,
        reason="A second login signed up with an identity of this profile.",
        channel=channel,
    )
    return matched, True


def _flag_other_owners(matched: Customer, owners, wanted, channel) -> list[int]:
    """Identities on other profiles are not moved: each pair goes to staff."""
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
    return duplicates


def _vouched(*, created: bool, user, channel: str) -> bool:
    """Whether what this visit brought may be added to the profile it matched: a
    profile it made, a signed-in login's own, or staff serving someone in person.
    Someone anonymous online who matched a profile by one identity proves nothing
    about the rest they typed: attached, a stranger's email or phone beside the
    profile's own would let them prove it later and take the profile over (and
    receive its receipts); their names would rename someone else's profile. They
    stay on the order; the profile is left as it was."""
    return created or user is not None or not is_online(channel)


def _match_once(
    *, wanted, user, first_name, last_name, channel, location, actor, order_number
) -> MatchResult:
    withheld: dict[str, Customer] = {}
    owners = _owners(wanted, user, withheld)

    def new_profile() -> Customer:
        return _create_customer(
            first_name=first_name,
            last_name=last_name,
            channel=channel,
            location=location,
            user=user,
            actor=actor,
            order_number=order_number,
        )

    matched, created = _choose_profile(
        owners, user=user, channel=channel, new_profile=new_profile
    )
    duplicates = _flag_other_owners(matched, {**owners, **withheld}, wanted, channel)
    trusted = _vouched(created=created, user=user, channel=channel)
    for kind, value in wanted.items():
        if owners[kind] is None and kind not in withheld and trusted:
            attach_identity(
                matched,
                kind,
                value,
                channel=channel,
                location=location,
                actor=actor,
                announce=not created,
            )

    owned = {
        k
        for k, owner in owners.items()
        if (owner is None and k not in withheld) or (owner and owner.pk == matched.pk)
    }
    if trusted:
        _fill_in(matched, wanted, owned, first_name, last_name)
    if created:
        _announce_created(matched, channel, location)
        duplicates += flag_contact_holders(matched, wanted, channel)
    elif not is_online(channel):
        given = [
            (k, v)
            for k, v in wanted.items()
            if k in owned and owners[k] and k != IdentityKind.LOYALTY  # a card: proven
        ]
        confirm_in_person(
            matched,
            unproven_identities(matched, given),
            channel=channel,
            location=location,
            actor=actor,
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


def _known_profile(
    wanted: dict[str, str], user
) -> tuple[Customer, CustomerIdentity] | None:
    """The live profile that already owns the one identity given, locked by a single
    read, and that identity; None when the identity is new or a login comes with it
    (the full match runs then). A merged owner leads to its survivor, locked after
    it, as ``_lock`` does."""
    if user is not None or len(wanted) != 1:
        return None
    [(kind, value)] = wanted.items()
    connection = connection_for(Customer)
    lock = (
        " FOR NO KEY UPDATE OF c" if connection.features.has_select_for_update else ""
    )
    rows = load(  # kept as SQL: every returning guest's checkout runs it
        [(Customer, "c"), (CustomerIdentity, "i")],
        "FROM customers_customer c"
        " JOIN customers_customeridentity i ON i.customer_id = c.id"
        f" WHERE i.kind = %s AND i.value = %s{lock}",
        [kind, value],
    )
    if not rows:
        return None
    found, identity = rows[0]
    if found.merged_into_id is not None:
        found = lock_customer(found.merged_into_id)
    # one that leads to a login only by a proof the caller lacks: the full match
    # makes the guest's own profile and flags the pair
    return (found, identity) if leads_to_login(identity, found) else None


def _new_guest(
    wanted: dict[str, str],
    *,
    first_name,
    last_name,
    channel,
    location,
    actor,
    order_number: str,
) -> Customer | None:
    """A new guest's profile, as ``_match_once`` makes it for one email or phone
    that no profile owns (``_known_profile`` just found none): the profile with its contact
    filled in, its loyalty card and the identity in one insert, and its creation on
    the timeline — in one savepoint. None when an insert collides (the identity
    taken meanwhile, or the card number drawn twice): the full match runs then."""
    [(kind, value)] = wanted.items()
    number = generate_loyalty_number()
    try:
        with transaction.atomic():
            customer = Customer(
                first_name=first_name.strip()[:100],
                last_name=last_name.strip()[:100],
                email=value if kind == IdentityKind.EMAIL else "",
                phone=value if kind == IdentityKind.PHONE else "",
                loyalty_number=number,
                created_channel=channel,
                created_location=location,
                created_by_order=order_number,
            )
            insert_rows([customer])  # the kept statements of the checkout's path
            insert_rows(
                [
                    CustomerIdentity(
                        customer=customer,
                        kind=IdentityKind.LOYALTY,
                        value=number,
                        verified=True,
                        channel=channel,
                    ),
                    CustomerIdentity(
                        customer=customer, kind=kind, value=value, channel=channel
                    ),
                ]
            )
    except IntegrityError:
        return None
    record_event(  # a row this transaction inserted: no merge can have moved it
        customer=customer,
        kind=EVENT_CREATED,
        summary=f"Profile created ({where_label(channel, location)})",
        actor=actor,
        location=location,
        channel=channel,
        locked=True,
    )
    _announce_created(customer, channel, location)
    return customer


def _announce_created(customer: Customer, channel: str, location) -> None:
    webhooks.emit(
        "customer.created",
        {
            "customer_id": customer.pk,
            "channel": channel,
            "location_id": getattr(location, "pk", None),
        },
    )


def _matched_in_callers_transaction(
    wanted, *, user, first_name, last_name, channel, location, actor, order_number
) -> MatchResult | None:
    """A returning customer (the usual checkout) writes nothing here: one locking
    read in the caller's transaction (and, the first time an identity typed online
    is given in person, its confirmation); a new guest with one identity is one
    insert. None: the general path below (a savepoint each attempt, so a parallel
    insert of the same identity is read again)."""
    known = _known_profile(wanted, user)
    if known is not None:
        customer, identity = known
        if not is_online(channel):  # given in person
            confirm_in_person(
                customer, [identity], channel=channel, location=location, actor=actor
            )
        if _vouched(created=False, user=user, channel=channel):
            _fill_in(customer, wanted, set(wanted), first_name, last_name)
        return MatchResult(customer=customer, created=False)
    if user is None and len(wanted) == 1 and IdentityKind.LOYALTY not in wanted:
        created = _new_guest(
            wanted,
            first_name=first_name,
            last_name=last_name,
            channel=channel,
            location=location,
            actor=actor,
            order_number=order_number,
        )
        if created is not None:
            duplicates = flag_contact_holders(created, wanted, channel)
            return MatchResult(customer=created, created=True, duplicates=duplicates)
    return None


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
    order_number: str = "",
) -> MatchResult:
    """``match_customer`` that also tells whether the profile was created."""
    check_channel(channel)
    if region is None and location is not None:
        region = getattr(location, "country", None)
    wanted = clean_identities(
        email=email, phone=phone, loyalty_number=loyalty_number, region=region
    )
    if not wanted and user is None:
        raise ValidationFailed(
            "Give an email, a phone number or a loyalty card.",
            extra={
                "non_field_errors": ["Give an email, a phone number or a loyalty card."]
            },
        )
    given = {
        "user": user,
        "first_name": first_name or "",
        "last_name": last_name or "",
        "channel": channel,
        "location": location,
        "actor": actor,
        "order_number": order_number,
    }
    if transaction.get_connection().in_atomic_block:
        found = _matched_in_callers_transaction(wanted, **given)
        if found is not None:
            return found
    for attempt in range(3):
        try:
            with transaction.atomic():
                return _match_once(wanted=wanted, **given)
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
    order_number: str = "",
) -> Customer:
    """The profile for whoever arrives with these identities, created when unknown.

    The strongest known identity wins (login > loyalty card > email > phone); when the
    identities belong to different profiles they are not merged but flagged as a
    ``DuplicateCandidate``. Unowned identities are attached to the matched profile. The
    returned row stays locked until the caller's transaction ends, so a concurrent merge
    waits and then carries what the caller wrote. ``order_number``: the purchase this
    match is for; a profile the match creates records it as the order that made it
    (``Customer.created_by_order``, the one receipt that claims the profile).
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
        order_number=order_number,
    ).customer
