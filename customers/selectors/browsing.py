"""Reads of product views: whose views may be kept, and what a customer looked at."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Exists, Max, OuterRef, QuerySet

from customers.models import BrowseEvent, Consent, ConsentChannel, Customer
from customers.selectors.identities import customer_for_user
from inventory.models import Product
from inventory.selectors import product_list

RECENTLY_VIEWED = 20


def tracking_consents():
    """Granted personalisation consents (to filter customers by, ``customer`` outer)."""
    return Consent.objects.filter(channel=ConsentChannel.TRACKING, granted=True)


def tracking_customer_id(user) -> int | None:
    """The signed-in user's live profile id when it consented to personalisation,
    else None: one query (two when the profile was merged away)."""
    row = (
        Customer.objects.filter(user_id=user.pk)
        .annotate(tracking=Exists(tracking_consents().filter(customer=OuterRef("pk"))))
        .values_list("pk", "merged_into_id", "tracking")
        .first()
    )
    if row is None:
        customer_for_user(user)  # a staff login or no profile: the usual 404
        return None
    pk, merged_into, tracking = row
    if merged_into is not None:
        customer = customer_for_user(user)
        return customer.pk if tracking_allowed(customer) else None
    return pk if tracking else None


def tracking_allowed(customer: Customer) -> bool:
    return tracking_consents().filter(customer=customer).exists()


def recently_viewed(
    customer: Customer, *, limit: int = RECENTLY_VIEWED
) -> list[tuple[Product, datetime]]:
    """Distinct active products the customer viewed, most recent view first, with
    their active variants prefetched: three queries. Nothing without the customer's
    personalisation consent (their views are kept but not used)."""
    if not tracking_allowed(customer):
        return []
    latest = list(
        BrowseEvent.objects.filter(customer=customer, product__active=True)
        .values("product_id")
        .annotate(last=Max("occurred_at"))
        .order_by("-last", "-product_id")
        .values_list("product_id", "last")[:limit]
    )
    products = product_list().in_bulk([pk for pk, _ in latest])
    return [(products[pk], at) for pk, at in latest if pk in products]


def browse_events_of(customer_ids) -> QuerySet[BrowseEvent]:
    return BrowseEvent.objects.filter(customer_id__in=list(customer_ids)).order_by(
        "occurred_at", "pk"
    )
