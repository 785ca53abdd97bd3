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


def search_customers(query: str, region: str | None = None, *, limit: int = 20):
    """Profiles matching a name, an email, a phone in any format or a loyalty card.

    Identities are looked up exactly after normalising the query (a phone read in the
    shop's ``region``); names match every word, at the start of a word of the name,
    whatever its case and accents.
    """
    query = (query or "").strip()
    if not query:
        return []
    matched_ids = _identity_matches(query, region)
    name_q = name_condition(query)
    if not matched_ids and not name_q:
        return []
    where = Q(pk__in=matched_ids) if matched_ids else Q()
    if name_q:
        where = where | name_q if matched_ids else name_q
    rows = (
        Customer.objects.filter(where)
        .select_related("preferred_store")
        .order_by("last_name", "first_name", "id")[: limit * 2]
    )
    return _live_profiles_once(rows, limit)


def _identity_matches(query: str, region: str | None) -> list[int]:
    """Ids of the profiles holding an identity the query reads as, in one query (none
    when it reads as no identity at all)."""
    identity_values: list[tuple[str, str]] = []
    email = normalize_email(query)
    if email:
        identity_values.append((IdentityKind.EMAIL, email))
    if any(ch.isdigit() for ch in query):
        identity_values += _number_identities(query, region)

    condition = Q()
    for kind, value in identity_values:
        condition |= Q(kind=kind, value=value)
    if "@" in query and not email and len(query) >= 3:
        # A partly typed address: the start of the stored (lower-case) value.
        condition |= Q(kind=IdentityKind.EMAIL, value__startswith=query.lower())
        identity_values.append((IdentityKind.EMAIL, query.lower()))
    if not identity_values:
        return []
    return list(
        CustomerIdentity.objects.filter(condition).values_list("customer_id", flat=True)
    )


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
    return Customer360(
        customer=customer,
        identities=list(customer.identities.all()),
        consents=consent_state(customer),
        addresses=list(customer.addresses.all()),
        duplicates=duplicates,
        loyalty=loyalty,
        timeline=timeline(customer),
    )
