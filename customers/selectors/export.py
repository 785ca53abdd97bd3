"""Everything held about one person, as data (the right of access)."""

from __future__ import annotations

from typing import Any

from customers.models import (
    Address,
    ConsentChange,
    Customer,
    CustomerEvent,
    CustomerIdentity,
    LoyaltyTransaction,
    StaffNote,
)
from customers.selectors.identities import resolve_customer


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def _profile(customer: Customer) -> dict[str, Any]:
    return {
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
            Customer.objects.filter(merged_into=customer).values_list("pk", flat=True)
        ),
    }


def _identities(customer: Customer) -> list[dict[str, Any]]:
    return [
        {
            "kind": i.kind,
            "value": i.value,
            "verified": i.verified,
            "added_at": _iso(i.created_at),
        }
        for i in CustomerIdentity.objects.filter(customer=customer)
    ]


def _addresses(customer: Customer) -> list[dict[str, Any]]:
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
        }
        for a in Address.objects.filter(customer=customer)
    ]


def _consents(customer: Customer) -> list[dict[str, Any]]:
    """Every decision, oldest first, not only the latest."""
    return [
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
    ]


def _events(customer: Customer) -> list[dict[str, Any]]:
    return [
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
    ]


def _notes(customer: Customer) -> list[dict[str, Any]]:
    return [
        {
            "text": n.text,
            "location": n.location.name if n.location_id else None,
            "at": _iso(n.created_at),
        }
        for n in StaffNote.objects.filter(customer=customer)
        .select_related("location")
        .order_by("created_at", "id")
    ]


def _points(customer: Customer) -> list[dict[str, Any]]:
    return [
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
    ]


def export_customer_data(customer: Customer) -> dict[str, Any]:
    """Everything we hold about a person, as JSON-able data (right of access)."""
    customer = resolve_customer(customer.pk)
    customer = Customer.objects.select_related("preferred_store", "user").get(
        pk=customer.pk
    )
    return {
        "profile": _profile(customer),
        "identities": _identities(customer),
        "addresses": _addresses(customer),
        "consents": _consents(customer),
        "events": _events(customer),
        "notes": _notes(customer),
        "points": _points(customer),
    }
