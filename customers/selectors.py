"""Reads on customer profiles: search, the 360° view, the timeline, data export.

Every list here costs a fixed number of queries whatever its length.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from inventory import selectors as inventory_selectors
from inventory.models import Location
from omnistore.core.exceptions import NotFound

from .models import (
    Address,
    Consent,
    ConsentChange,
    ConsentChannel,
    Customer,
    CustomerEvent,
    CustomerIdentity,
    DuplicateCandidate,
    DuplicateStatus,
    IdentityKind,
    LoyaltyTransaction,
    StaffNote,
    Wishlist,
    WishlistItem,
)
from .services import (
    normalize_email,
    normalize_loyalty_number,
    normalize_phone,
    resolve_customer,
)

TIMELINE_PAGE_SIZE = 20


def customer_for_user(user) -> Customer:
    """The live profile of a signed-in customer (a merged one leads to the survivor)."""
    if user is None or not getattr(user, "is_authenticated", False):
        raise NotFound("No customer profile.")
    profile = (
        Customer.objects.select_related("preferred_store").filter(user=user).first()
    )
    if profile is None:
        raise NotFound("No customer profile.")
    if profile.merged_into_id is None:
        return profile
    return resolve_customer(profile.merged_into_id)


def customer_profile(customer: Customer) -> Customer:
    """A profile with what its page or API shape shows, in two queries."""
    return (
        Customer.objects.select_related("preferred_store")
        .prefetch_related(
            Prefetch("identities", queryset=CustomerIdentity.objects.order_by("kind"))
        )
        .get(pk=customer.pk)
    )


def search_customers(query: str, region: str | None = None, *, limit: int = 20):
    """Profiles matching a name, an email, a phone in any format or a loyalty card.

    Identities are looked up exactly after normalising the query (a phone read in the
    shop's ``region``); names match every word, at the start of first or last name.
    """
    query = (query or "").strip()
    if not query:
        return []
    identity_values: list[tuple[str, str]] = []
    email = normalize_email(query)
    if email:
        identity_values.append((IdentityKind.EMAIL, email))
    if any(ch.isdigit() for ch in query):
        phone = normalize_phone(query, region=region)
        if phone:
            identity_values.append((IdentityKind.PHONE, phone))
        loyalty = normalize_loyalty_number(query)
        if loyalty:
            identity_values.append((IdentityKind.LOYALTY, loyalty))

    condition = Q()
    for kind, value in identity_values:
        condition |= Q(kind=kind, value=value)
    if "@" in query and not email and len(query) >= 3:
        # A partly typed address: the start of the stored (lower-case) value.
        condition |= Q(kind=IdentityKind.EMAIL, value__startswith=query.lower())
        identity_values.append((IdentityKind.EMAIL, query.lower()))
    matched_ids: list[int] = []
    if identity_values:
        matched_ids = list(
            CustomerIdentity.objects.filter(condition).values_list(
                "customer_id", flat=True
            )
        )

    words = [w for w in query.replace(",", " ").split() if w]
    name_q = Q()
    if words and "@" not in query and not any(ch.isdigit() for ch in query):
        for word in words:
            name_q &= Q(first_name__istartswith=word) | Q(last_name__istartswith=word)
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
    # A merged profile found by an old identity leads to its survivor, once.
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


# Written by staff for staff: shown in every shop, not in the customer's own history
# (the personal data export still holds them).
STAFF_ONLY_EVENT_KINDS = frozenset({"note_added"})


def timeline_queryset(
    customer: Customer, *, for_customer: bool = False
) -> QuerySet[CustomerEvent]:
    events = CustomerEvent.objects.filter(customer=customer)
    if for_customer:
        events = events.exclude(kind__in=STAFF_ONLY_EVENT_KINDS)
    return events.select_related("actor", "location").order_by("-occurred_at", "-id")


@dataclass
class TimelinePage:
    events: list[CustomerEvent]
    page: int
    has_next: bool

    @property
    def next_page(self) -> int | None:
        return self.page + 1 if self.has_next else None


def timeline(
    customer: Customer, *, page: int = 1, page_size: int = TIMELINE_PAGE_SIZE
) -> TimelinePage:
    """One page of the timeline, newest first, in one query."""
    page = max(int(page or 1), 1)
    start = (page - 1) * page_size
    rows = list(timeline_queryset(customer)[start : start + page_size + 1])
    return TimelinePage(
        events=rows[:page_size], page=page, has_next=len(rows) > page_size
    )


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
        "preferred_store", "user", "created_location"
    ).prefetch_related(
        Prefetch("identities", queryset=CustomerIdentity.objects.order_by("kind")),
        Prefetch("consents", queryset=Consent.objects.select_related("location")),
        "addresses",
    )
    customer = profiles.filter(pk=customer_id).first()
    if customer is None:
        raise NotFound("Customer not found.")
    if customer.merged_into_id is not None:
        customer = profiles.get(pk=resolve_customer(customer.merged_into_id).pk)
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


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def export_customer_data(customer: Customer) -> dict[str, Any]:
    """Everything we hold about a person, as JSON-able data (right of access)."""
    customer = resolve_customer(customer.pk)
    customer = Customer.objects.select_related("preferred_store", "user").get(
        pk=customer.pk
    )
    return {
        "profile": {
            "id": customer.pk,
            "first_name": customer.first_name,
            "last_name": customer.last_name,
            "email": customer.email,
            "phone": customer.phone,
            "birthday": _iso(customer.birthday),
            "preferred_store": (
                {
                    "id": customer.preferred_store_id,
                    "name": customer.preferred_store.name,
                }
                if customer.preferred_store_id
                else None
            ),
            "preferences": customer.preferences,
            "loyalty_number": customer.loyalty_number,
            "points_balance": customer.points_balance,
            "store_credit_balance": str(customer.store_credit_balance),
            "created_channel": customer.created_channel,
            "created_at": _iso(customer.created_at),
            "login": customer.user.email if customer.user_id else None,
            "merged_profiles": list(
                Customer.objects.filter(merged_into=customer).values_list(
                    "pk", flat=True
                )
            ),
        },
        "identities": [
            {
                "kind": i.kind,
                "value": i.value,
                "verified": i.verified,
                "added_at": _iso(i.created_at),
            }
            for i in CustomerIdentity.objects.filter(customer=customer)
        ],
        "addresses": [
            {
                "label": a.label,
                "name": a.name,
                "line1": a.line1,
                "line2": a.line2,
                "city": a.city,
                "postcode": a.postcode,
                "country": a.country,
                "phone": a.phone,
            }
            for a in Address.objects.filter(customer=customer)
        ],
        "consents": [
            {
                "channel": c.channel,
                "granted": c.granted,
                "source_channel": c.source_channel,
                "location": c.location.name if c.location_id else None,
                "at": _iso(c.at),
            }
            for c in ConsentChange.objects.filter(customer=customer)
            .select_related("location")
            .order_by("at", "id")
        ],
        "events": [
            {
                "kind": e.kind,
                "summary": e.summary,
                "channel": e.channel,
                "location": e.location.name if e.location_id else None,
                "occurred_at": _iso(e.occurred_at),
                "reference_type": e.reference_type,
                "reference_id": e.reference_id,
            }
            for e in CustomerEvent.objects.filter(customer=customer)
            .select_related("location")
            .order_by("occurred_at", "id")
        ],
        "notes": [
            {
                "text": n.text,
                "location": n.location.name if n.location_id else None,
                "at": _iso(n.created_at),
            }
            for n in StaffNote.objects.filter(customer=customer)
            .select_related("location")
            .order_by("created_at", "id")
        ],
        "points": [
            {
                "points": t.points,
                "reason": t.reason,
                "reference_type": t.reference_type,
                "reference_id": t.reference_id,
                "at": _iso(t.created_at),
            }
            for t in LoyaltyTransaction.objects.filter(customer=customer).order_by(
                "created_at", "id"
            )
        ],
    }


# --- Wishlists ----------------------------------------------------------------------

# Shops near the reference shop looked at for each item, and how many with stock are
# shown: enough to send the customer somewhere, few enough for a tablet row.
NEARBY_SHOPS_CONSIDERED = 8
NEARBY_SHOPS_SHOWN = 3


@dataclass
class ShopUnits:
    location: Location
    available: int
    distance_km: float | None = None


@dataclass
class ItemAvailability:
    """Units of an item at the reference shop (None: no shop) and nearby shops with
    stock, nearest first."""

    store: ShopUnits | None
    nearby: list[ShopUnits]


def _active_items() -> QuerySet[WishlistItem]:
    return WishlistItem.objects.filter(removed_at__isnull=True).select_related(
        "variant__product", "added_by_staff", "added_at_location"
    )


def customer_wishlists(customer: Customer) -> QuerySet[Wishlist]:
    """A customer's open lists, oldest (the default) first, each with its active
    items prefetched (newest first): two queries."""
    return (
        Wishlist.objects.filter(customer=customer, archived_at__isnull=True)
        .order_by("created_at", "id")
        .prefetch_related(
            Prefetch(
                "items",
                queryset=_active_items().order_by("-added_at", "-id"),
                to_attr="active_items",
            )
        )
    )


def wishlist_for_customer(customer: Customer, wishlist_id) -> Wishlist:
    """One open list of this customer; anyone else's (or an archived one) is not
    found."""
    wishlist = None
    if str(wishlist_id).isdigit():
        wishlist = customer_wishlists(customer).filter(pk=wishlist_id).first()
    if wishlist is None:
        raise NotFound("Wishlist not found.")
    return wishlist


def wishlist_by_share_token(token: str) -> Wishlist:
    token = (token or "").strip()
    wishlist = None
    if token:
        wishlist = (
            Wishlist.objects.filter(share_token=token, archived_at__isnull=True)
            .select_related("customer")
            .prefetch_related(
                Prefetch(
                    "items",
                    queryset=_active_items().order_by("-added_at", "-id"),
                    to_attr="active_items",
                )
            )
            .first()
        )
    if wishlist is None or wishlist.customer.is_anonymised:
        raise NotFound("Wishlist not found.")
    return wishlist


def attach_wishlist_availability(
    wishlists, *, store: Location | None, nearby: int = NEARBY_SHOPS_CONSIDERED
) -> list[Wishlist]:
    """Set ``item.availability`` (an ``ItemAvailability``) on every active item.

    Two queries whatever the number of lists and items: the shops nearest to
    ``store``, then the stock levels of every item there and at ``store``.
    """
    wishlists = list(wishlists)
    items = [item for wishlist in wishlists for item in wishlist.active_items]
    if store is None:
        for item in items:
            item.availability = ItemAvailability(store=None, nearby=[])
        return wishlists
    neighbours = []
    if items and nearby:
        located = inventory_selectors.shops(
            lat=float(store.latitude), lng=float(store.longitude)
        ).exclude(pk=store.pk)[:nearby]
        neighbours = inventory_selectors.with_distance(
            list(located), float(store.latitude), float(store.longitude)
        )
    levels = (
        inventory_selectors.levels_for_variants(
            variant_ids={item.variant_id for item in items},
            location_ids=[store.pk, *(loc.pk for loc, _ in neighbours)],
        )
        if items
        else {}
    )

    def units(variant_id: int, location_id: int) -> int:
        level = levels.get((variant_id, location_id))
        return max(level.available, 0) if level is not None else 0

    for item in items:
        around = [
            ShopUnits(
                location=loc, available=units(item.variant_id, loc.pk), distance_km=km
            )
            for loc, km in neighbours
        ]
        item.availability = ItemAvailability(
            store=ShopUnits(location=store, available=units(item.variant_id, store.pk)),
            nearby=[shop for shop in around if shop.available > 0][:NEARBY_SHOPS_SHOWN],
        )
    return wishlists


def wishlists_with_availability(
    customer: Customer, *, store: Location | None
) -> list[Wishlist]:
    """Open lists with active items, who added each and its stock at ``store`` (the
    customer's preferred shop online, the associate's shop in a shop) and nearby:
    four queries."""
    return attach_wishlist_availability(customer_wishlists(customer), store=store)


def wishlist_items_for_variants(variant_ids) -> QuerySet[WishlistItem]:
    """Active items wanting any of ``variant_ids`` on open lists of live customers,
    with the list and its customer: what back-in-stock and price-drop messages read."""
    return (
        WishlistItem.objects.filter(
            variant_id__in=list(variant_ids),
            removed_at__isnull=True,
            wishlist__archived_at__isnull=True,
            wishlist__customer__merged_into__isnull=True,
            wishlist__customer__is_anonymised=False,
        )
        .select_related("wishlist__customer", "variant__product")
        .order_by("variant_id", "id")
    )
