"""A profile as its page shows it: search, the 360° view, consents.

Every list here costs a fixed number of queries whatever its length.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Prefetch, Q

from customers.models import (
    Address,
    Consent,
    ConsentChannel,
    Customer,
    CustomerIdentity,
    DuplicateCandidate,
    DuplicateStatus,
    IdentityKind,
    LoyaltyTransaction,
    name_search_words,
)
from customers.normalize import (
    normalize_email,
    normalize_loyalty_number,
    normalize_phone,
)
from customers.selectors.identities import resolve_customer, survivor_of
from customers.selectors.timeline import TimelinePage, timeline
from omnistore.core.exceptions import NotFound


def customer_profile(customer: Customer) -> Customer:
    """A profile with what its page or API shape shows, in two queries."""
    return (
        Customer.objects.select_related("preferred_store", "assigned_associate__store")
        .prefetch_related(
            Prefetch("identities", queryset=CustomerIdentity.objects.order_by("kind"))
        )
        .get(pk=customer.pk)
    )


# Where a profile keeps the email and phone it is written to (its contact).
CONTACT_FIELDS = {IdentityKind.EMAIL: "email", IdentityKind.PHONE: "phone"}


def leads_to_login(identity: CustomerIdentity, owner: Customer) -> bool:
    """Whether ``identity`` brings someone who did not sign in to ``owner``'s
    profile. A profile with a login is reached that way only by what the login
    proved (a code) or what was given in person (at a shop, on the phone): an email
    or phone typed online by anyone, unproven, would hand the login every later
    order placed with it (a stranger's number typed at a guest checkout, the order
    then claimed by its receipt)."""
    return owner.user_id is None or identity.proven


def contact_holders(kind: str, value: str):
    """Live profiles written to at ``value`` (their email or phone) — a sign-up's
    address and number are contact only, no identity, until proven — by pk."""
    field = CONTACT_FIELDS.get(kind)
    if field is None or not value:
        return Customer.objects.none()
    live = Customer.objects.filter(merged_into__isnull=True)
    return live.filter(**{field: value}).order_by("pk")


def search_customers(query: str, region: str | None = None, *, limit: int = 20):
    """Profiles matching a name, an email, a phone in any format or a loyalty card.

    Identities are looked up exactly after normalising the query (a phone read in the
    shop's ``region``), and so are the email and phone profiles are written to;
    names match every word, at the start of a word of the name, whatever its case
    and accents. Each profile's ``unconfirmed`` lists the (kind label, value) it was
    found by that would not lead to it at checkout (``leads_to_login``: an account's
    address or number typed online and never confirmed), for the associate to check
    with the customer.
    """
    query = (query or "").strip()
    if not query:
        return []
    read = _read_identities(query, region)
    leading, unconfirmed = _identity_matches(query, read)
    contacts = _contact_condition(read)
    conditions = [q for q in (contacts, name_condition(query)) if q]
    if leading or unconfirmed:
        conditions.append(Q(pk__in=[*leading, *unconfirmed]))
    if not conditions:
        return []
    where = conditions[0]
    for condition in conditions[1:]:
        where |= condition
    rows = (
        Customer.objects.filter(where)
        .select_related("preferred_store")
        .order_by("last_name", "first_name", "id")[: limit * 2]
    )
    results = _live_profiles_once(rows, limit)
    for customer in results:
        found_by = (
            []
            if customer.pk in leading
            else unconfirmed.get(customer.pk) or _contact_found(customer, read)
        )
        customer.unconfirmed = [(IdentityKind(k).label, v) for k, v in found_by]
    return results


def _read_identities(query: str, region: str | None) -> list[tuple[str, str]]:
    """The (kind, value) identities the query reads as, exactly."""
    found: list[tuple[str, str]] = []
    email = normalize_email(query)
    if email:
        found.append((IdentityKind.EMAIL, email))
    if any(ch.isdigit() for ch in query):
        found += _number_identities(query, region)
    return found


def _contact_condition(read: list[tuple[str, str]]) -> Q:
    """Live profiles written to at an email or phone the query reads as."""
    condition = Q()
    for kind, value in read:
        if kind in CONTACT_FIELDS:
            condition |= Q(**{CONTACT_FIELDS[kind]: value}, merged_into__isnull=True)
    return condition


def _contact_found(customer: Customer, read) -> list[tuple[str, str]]:
    return [
        (kind, value)
        for kind, value in read
        if kind in CONTACT_FIELDS and getattr(customer, CONTACT_FIELDS[kind]) == value
    ]


def _identity_matches(
    query: str, read: list[tuple[str, str]]
) -> tuple[set[int], dict[int, list[tuple[str, str]]]]:
    """Ids of the profiles holding an identity the query reads as that leads to
    them, and of those holding only ones that do not (with what they were found
    by), in one query (none when it reads as no identity at all)."""
    condition = Q()
    for kind, value in read:
        condition |= Q(kind=kind, value=value)
    if "@" in query and not normalize_email(query) and len(query) >= 3:
        # A partly typed address: the start of the stored (lower-case) value.
        condition |= Q(kind=IdentityKind.EMAIL, value__startswith=query.lower())
    if not condition:
        return set(), {}
    leading: set[int] = set()
    unconfirmed: dict[int, list[tuple[str, str]]] = {}
    rows = CustomerIdentity.objects.filter(condition).values_list(
        "customer_id", "kind", "value", "verified", "channel", "customer__user_id"
    )
    for customer_id, kind, value, verified, channel, user_id in rows:
        identity = CustomerIdentity(verified=verified, channel=channel)
        if leads_to_login(identity, Customer(user_id=user_id)):
            leading.add(customer_id)
        else:
            unconfirmed.setdefault(customer_id, []).append((kind, value))
    return leading, unconfirmed


def _number_identities(query: str, region: str | None) -> list[tuple[str, str]]:
    """A query with digits may be a phone number (read in ``region``) or a loyalty
    card number, or both."""
    found: list[tuple[str, str]] = []
    phone = normalize_phone(query, region=region)
    if phone:
        found.append((IdentityKind.PHONE, phone))
    loyalty = normalize_loyalty_number(query)
    if loyalty:
        found.append((IdentityKind.LOYALTY, loyalty))
    return found


def name_condition(query: str, *, path: str = "") -> Q:
    """Every word at the start of a word of the name, without case or accents
    (``Customer.search_name``: "lucia" finds Lucía, "Léa" finds Lea); an empty ``Q``
    when the query has an ``@`` or a digit, which no name search is meant to
    match. ``path`` leads to the customer from another model (``"customer__"``)."""
    name_q = Q()
    if "@" in query or any(ch.isdigit() for ch in query):
        return name_q
    for word in name_search_words(query):
        name_q &= Q(**{f"{path}search_name__contains": f" {word}"})
    return name_q


def _live_profiles_once(rows, limit: int) -> list[Customer]:
    """A merged profile found by an old identity leads to its survivor, once.

    The survivors are read in one query, whatever the number of rows.
    """
    results: list[Customer] = []
    seen: set[int] = set()
    survivors = {c.merged_into_id for c in rows if c.merged_into_id}
    survivor_rows = {
        c.pk: c
        for c in Customer.objects.filter(pk__in=survivors).select_related(
            "preferred_store"
        )
    }
    for customer in rows:
        target = customer
        if customer.merged_into_id:
            target = survivor_rows.get(customer.merged_into_id) or customer
            if target.merged_into_id:  # pragma: no cover - chains are flattened
                target = resolve_customer(target.pk)
        if target.pk in seen:
            continue
        seen.add(target.pk)
        results.append(target)
        if len(results) >= limit:
            break
    return results


def consent_state(customer: Customer) -> dict[str, Consent | None]:
    current = {c.channel: c for c in customer.consents.all()}
    return {channel: current.get(channel) for channel in ConsentChannel.values}


@dataclass
class Customer360:
    customer: Customer
    identities: list[CustomerIdentity]
    consents: dict[str, Consent | None]
    addresses: list[Address]
    duplicates: list[tuple[DuplicateCandidate, Customer]]
    loyalty: list[LoyaltyTransaction]
    timeline: TimelinePage
    # (label, value) of the email and phone written to that are no identity of the
    # profile: a sign-up's, never confirmed.
    contact_only: list[tuple[str, str]]
    # Its emails and phones typed online and never proven (``proven``).
    unconfirmed: list[CustomerIdentity]


def customer_360(customer_id) -> Customer360:
    """Everything an associate needs about one person, in a fixed number of queries.

    A merged id gives the survivor's view (``view.customer.pk`` tells which).
    """
    profiles = Customer.objects.select_related(
        "preferred_store", "user", "created_location", "assigned_associate__store"
    ).prefetch_related(
        Prefetch("identities", queryset=CustomerIdentity.objects.order_by("kind")),
        Prefetch("consents", queryset=Consent.objects.select_related("location")),
        "addresses",
    )
    customer = profiles.filter(pk=customer_id).first()
    if customer is None:
        raise NotFound("Customer not found.")
    if customer.merged_into_id is not None:
        customer = profiles.get(pk=survivor_of(customer).pk)
    pending = (
        DuplicateCandidate.objects.filter(
            Q(customer_a=customer) | Q(customer_b=customer),
            status=DuplicateStatus.PENDING,
        )
        .select_related("customer_a", "customer_b")
        .order_by("-created_at")[:10]
    )
    duplicates = [
        (c, c.customer_b if c.customer_a_id == customer.pk else c.customer_a)
        for c in pending
    ]
    duplicates = [(c, other) for c, other in duplicates if other.merged_into_id is None]
    loyalty = list(
        LoyaltyTransaction.objects.filter(customer=customer).order_by(
            "-created_at", "-id"
        )[:5]
    )
    identities = list(customer.identities.all())
    held = {(identity.kind, identity.value) for identity in identities}
    return Customer360(
        customer=customer,
        identities=identities,
        consents=consent_state(customer),
        addresses=list(customer.addresses.all()),
        duplicates=duplicates,
        loyalty=loyalty,
        timeline=timeline(customer),
        contact_only=[
            (IdentityKind(kind).label, getattr(customer, field))
            for kind, field in CONTACT_FIELDS.items()
            if getattr(customer, field) and (kind, getattr(customer, field)) not in held
        ],
        unconfirmed=[identity for identity in identities if not identity.proven],
    )
