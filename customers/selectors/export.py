"""Everything held about one person, as data (the right of access).

The customers app exports its own sections; orders, returns, store credit and messages
come from the entries other apps register in ``customers.privacy``.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Prefetch

from customers.models import (
    Address,
    ClientTask,
    Consent,
    ConsentChange,
    Customer,
    CustomerEvent,
    CustomerIdentity,
    LearnedSize,
    LoyaltyTransaction,
    Message,
    StaffNote,
    Wishlist,
    WishlistItem,
)
from customers.privacy import registered
from customers.selectors.identities import resolve_customer
from customers.selectors.team import associate_public_name
from customers.selectors.timeline import for_the_customer
from customers.selectors.wishlists import WISHLIST_SHARE_TOPIC
from omnistore.core.models import OutboxMessage


def iso(value) -> str | None:
    """A date or time as ISO 8601, or None."""
    return value.isoformat() if value is not None else None


def _associate(customer: Customer) -> dict[str, Any] | None:
    """The associate looking after the person, named as customers are told
    (``associate_public_name``)."""
    associate = customer.assigned_associate
    if associate is None:
        return None
    return {
        "name": associate_public_name(associate),
        "shop": associate.store.name if associate.store_id else None,
    }


def _profile_fields(customer: Customer) -> dict[str, Any]:
    """A profile's own fields, the live one's or a merged one's as kept on its row."""
    return {
        "id": customer.pk,
        "first_name": customer.first_name,
        "last_name": customer.last_name,
        "email": customer.email,
        "phone": customer.phone,
        "birthday": iso(customer.birthday),
        "company_name": customer.company_name,
        "vat_number": customer.vat_number,
        "preferred_store": (
            {
                "id": customer.preferred_store_id,
                "name": customer.preferred_store.name,
            }
            if customer.preferred_store_id
            else None
        ),
        "assigned_associate": _associate(customer),
        "preferences": customer.preferences,
        "loyalty_number": customer.loyalty_number,
        "points_balance": customer.points_balance,
        "points_owed": customer.points_owed,
        "store_credit_balance": str(customer.store_credit_balance),
        "created_channel": customer.created_channel,
        "created_at": iso(customer.created_at),
        "login": customer.user.email if customer.user_id else None,
    }


def _profile(customer: Customer, merged: list[Customer]) -> dict[str, Any]:
    """The live profile, and each profile merged into it (along a chain too) with
    its own fields and which profile it went into."""
    return {
        **_profile_fields(customer),
        "merged_profiles": [
            {**_profile_fields(other), "merged_into": other.merged_into_id}
            for other in merged
        ],
    }


def _identities(customer_ids: tuple[int, ...]) -> list[dict[str, Any]]:
    return [
        {
            "kind": i.kind,
            "value": i.value,
            "verified": i.verified,
            "added_at": iso(i.created_at),
        }
        for i in CustomerIdentity.objects.filter(customer_id__in=customer_ids)
    ]


def _addresses(customer_ids: tuple[int, ...]) -> list[dict[str, Any]]:
    return [
        {
            "label": a.label,
            "name": a.name,
            "line1": a.line1,
            "line2": a.line2,
            "city": a.city,
            "postcode": a.postcode,
            "country": a.country,
            "phone": a.phone,
            "is_default": a.is_default,
        }
        for a in Address.objects.filter(customer_id__in=customer_ids)
    ]


def _current_consents(customer: Customer) -> list[dict[str, Any]]:
    """The decision in force per channel: the live profile's (a merge leaves one
    decision per channel on it and none on the merged profile; every decision of
    each profile is in ``consents``)."""
    return [
        {
            "channel": c.channel,
            "granted": c.granted,
            "source_channel": c.source_channel,
            "location": c.location.name if c.location_id else None,
            "updated_at": iso(c.updated_at),
        }
        for c in Consent.objects.filter(customer=customer)
        .select_related("location")
        .order_by("channel")
    ]


def _consents(customer_ids: tuple[int, ...]) -> list[dict[str, Any]]:
    """Every decision, oldest first, not only the latest."""
    return [
        {
            "channel": c.channel,
            "granted": c.granted,
            "source_channel": c.source_channel,
            "location": c.location.name if c.location_id else None,
            "at": iso(c.at),
        }
        for c in ConsentChange.objects.filter(customer_id__in=customer_ids)
        .select_related("location")
        .order_by("at", "id")
    ]


def _events(customer_ids: tuple[int, ...]) -> list[dict[str, Any]]:
    """Every event, staff-only ones too, each associate named as the customer is
    told elsewhere (``for_the_customer``)."""
    events = (
        CustomerEvent.objects.filter(customer_id__in=customer_ids)
        .select_related("location", "actor")
        .order_by("occurred_at", "id")
    )
    return [
        {
            "kind": e.kind,
            "summary": e.customer_summary,
            "channel": e.channel,
            "location": e.location.name if e.location_id else None,
            "occurred_at": iso(e.occurred_at),
            "reference_type": e.reference_type,
            "reference_id": e.reference_id,
        }
        for e in for_the_customer(events)
    ]


def _notes(customer_ids: tuple[int, ...]) -> list[dict[str, Any]]:
    return [
        {
            "text": n.text,
            "location": n.location.name if n.location_id else None,
            "at": iso(n.created_at),
        }
        for n in StaffNote.objects.filter(customer_id__in=customer_ids)
        .select_related("location")
        .order_by("created_at", "id")
    ]


def _messages(customer_ids: tuple[int, ...]) -> list[dict[str, Any]]:
    """Messages with associates, in and out (the associate by first name only);
    campaign messages are the campaigns app's ``campaign_messages``."""
    return [
        {
            "direction": m.direction,
            "channel": m.channel,
            "body": m.body,
            "associate": m.conversation.associate.first_name,
            "at": iso(m.created_at),
        }
        for m in Message.objects.filter(conversation__customer_id__in=customer_ids)
        .select_related("conversation__associate")
        .order_by("created_at", "id")
    ]


def _client_tasks(customer_ids: tuple[int, ...]) -> list[dict[str, Any]]:
    """What the shop meant to do for the person (follow-ups, birthdays, by hand),
    a task a merge closed and left on the merged profile too."""
    return [
        {
            "kind": t.kind,
            "title": t.title,
            "due_on": t.due_on.isoformat(),
            "status": t.status,
            "created_at": iso(t.created_at),
        }
        for t in ClientTask.objects.filter(customer_id__in=customer_ids).order_by(
            "created_at", "id"
        )
    ]


def _points(customer_ids: tuple[int, ...]) -> list[dict[str, Any]]:
    return [
        {
            "points": t.points,
            "owed": t.owed,
            "reason": t.reason,
            "reference_type": t.reference_type,
            "reference_id": t.reference_id,
            "at": iso(t.created_at),
        }
        for t in LoyaltyTransaction.objects.filter(
            customer_id__in=customer_ids
        ).order_by("created_at", "id")
    ]


def _wishlist_items(wishlist: Wishlist) -> list[dict[str, Any]]:
    return [
        {
            "sku": item.variant.sku,
            "product": item.variant.product.name,
            "note": item.note,
            "price_at_add": str(item.price_at_add),
            "added_via": item.added_via,
            "added_at": iso(item.added_at),
            "removed_at": iso(item.removed_at),
        }
        for item in wishlist.items.all()
    ]


def _wishlist_shares(wishlists: list[Wishlist]) -> dict[int, list[dict[str, Any]]]:
    """Who each list was emailed to, with the message, from the outbox rows that
    carried it."""
    shares: dict[int, list[dict[str, Any]]] = {w.pk: [] for w in wishlists}
    rows = OutboxMessage.objects.filter(
        topic=WISHLIST_SHARE_TOPIC, payload__wishlist_id__in=list(shares)
    ).order_by("id")
    for row in rows:
        shares[row.payload["wishlist_id"]].append(
            {
                "to": row.payload.get("to", ""),
                "message": row.payload.get("message", ""),
                "at": iso(row.created_at),
                "sent_at": iso(row.processed_at),
            }
        )
    return shares


def _wishlists(customer_ids: tuple[int, ...]) -> list[dict[str, Any]]:
    """Every list, archived ones too, with every item ever on it and every share."""
    wishlists = list(
        Wishlist.objects.filter(customer_id__in=customer_ids)
        .order_by("created_at", "id")
        .prefetch_related(
            Prefetch(
                "items",
                WishlistItem.objects.select_related("variant__product").order_by(
                    "added_at", "id"
                ),
            )
        )
    )
    shares = _wishlist_shares(wishlists)
    return [
        {
            "id": w.pk,
            "name": w.name,
            "created_at": iso(w.created_at),
            "archived_at": iso(w.archived_at),
            "items": _wishlist_items(w),
            "shared_by_email": shares[w.pk],
        }
        for w in wishlists
    ]


def _sizes(customer_ids: tuple[int, ...]) -> list[dict[str, Any]]:
    """A size a merge could not move (the survivor had one for the category) stays
    on the merged profile's row: both are listed."""
    rows = LearnedSize.objects.filter(customer_id__in=customer_ids).select_related(
        "category"
    )
    return [
        {
            "category": r.category.slug,
            "size": r.size,
            "kept_size": r.kept_size,
            "units_kept": r.units_kept,
            "moved_by": r.moved_by,
            "updated_at": iso(r.updated_at),
        }
        for r in rows
    ]


def export_customer_sections(customer_ids: tuple[int, ...]) -> dict[str, Any]:
    """The customers app's sections: ``customer_ids[0]`` is the live profile, the
    others the profiles merged into it (their fields in ``profile``). Every section
    covers them all, like the erasure: a merge leaves rows behind on the merged
    profile (a task it closed, a size the survivor already had)."""
    profiles = {
        c.pk: c
        for c in Customer.objects.filter(pk__in=customer_ids).select_related(
            "preferred_store", "user", "assigned_associate__store"
        )
    }
    customer = profiles[customer_ids[0]]
    merged = [profiles[pk] for pk in customer_ids[1:] if pk in profiles]
    return {
        "profile": _profile(customer, merged),
        "identities": _identities(customer_ids),
        "addresses": _addresses(customer_ids),
        "current_consents": _current_consents(customer),
        "consents": _consents(customer_ids),
        "events": _events(customer_ids),
        "notes": _notes(customer_ids),
        "messages": _messages(customer_ids),
        "points": _points(customer_ids),
        "wishlists": _wishlists(customer_ids),
        "client_tasks": _client_tasks(customer_ids),
        "learned_sizes": _sizes(customer_ids),
    }


def export_customer_data(customer: Customer) -> dict[str, Any]:
    """Everything we hold about a person, as JSON-able data (right of access): the
    sections of every app registered in ``customers.privacy``."""
    customer = resolve_customer(customer.pk)
    customer_ids = (customer.pk, *merged_profile_ids(customer.pk))
    data: dict[str, Any] = {}
    for entry in registered():
        sections = entry.export(customer_ids)
        # Two apps naming a section alike would leave one out of the export unseen.
        taken = data.keys() & sections.keys()
        if taken:
            raise ImproperlyConfigured(
                f"The export of {entry.name!r} names sections already exported: "
                f"{', '.join(sorted(taken))}."
            )
        data.update(sections)
    return data


def merged_profile_ids(customer_id: int) -> list[int]:
    """Every profile merged into ``customer_id``, directly or along a chain."""
    found: list[int] = []
    frontier = [customer_id]
    while frontier:
        frontier = list(
            Customer.objects.filter(merged_into__in=frontier).values_list(
                "pk", flat=True
            )
        )
        found += frontier
    return found
