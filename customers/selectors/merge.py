"""What an admin merge shows before it runs: which profile is kept (the older one),
both profiles side by side, each with its orders counted, and why a merge would be
refused (the rules ``merge_customers`` enforces, read here once for both)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Count

from customers.models import Customer
from omnistore.core.exceptions import Conflict


def merged_already(*customers: Customer) -> Conflict | None:
    """The refusal when one of the profiles was merged already (it only points to
    the profile it went into), or None."""
    for customer in customers:
        if customer.merged_into_id is not None:
            return Conflict(
                f"Customer {customer.pk} was already merged into "
                f"{customer.merged_into_id}.",
                extra={"merged_into": customer.merged_into_id},
            )
    return None


def kept_apart(survivor: Customer, other: Customer) -> Conflict | None:
    """The refusal when two live profiles are never folded into one, or None.

    An erased profile is merged with nothing (its person's data would come back, or
    a live customer's history would take the erasure on). Two profiles with a login
    each are not one person's to fold: the merged login would open the survivor's
    orders, points and data (a stranger's login flagged beside a customer's, merged
    by mistake, would take the account over)."""
    for customer in (survivor, other):
        if customer.is_anonymised:
            return Conflict(
                f"Customer #{customer.pk} was erased: an erased profile is merged "
                "with no other.",
                code="profile_erased",
            )
    if survivor.user_id and other.user_id and survivor.user_id != other.user_id:
        return Conflict(
            "Both profiles have a login of their own: they are kept apart. If they "
            "are one person, that person signs in and proves the other profile's "
            "email or phone with a code.",
            code="both_have_logins",
        )
    return None


def merge_refusal(kept: Customer, merged: Customer) -> Conflict | None:
    """Why ``merge_customers`` would refuse this pair as the profiles stand now
    (read without locks: the merge checks again under them), or None."""
    return merged_already(kept, merged) or kept_apart(kept, merged)


def kept_and_merged(one: Customer, other: Customer) -> tuple[Customer, Customer]:
    """The older profile is kept (the first created; the lower id when both came at
    once) and the other is merged into it: the same pair whatever order they were
    picked in."""
    kept, merged = sorted((one, other), key=lambda c: (c.created_at, c.pk))
    return kept, merged


def pairs_side_by_side(
    pairs: Iterable[tuple[Customer, Customer]],
) -> list[tuple[Customer, Customer]]:
    """Each (kept, merged) pair re-read with its login and ``orders_count`` (every
    order placed with the profile, followed through the orders' lookup: this app
    does not import them), in one query for every pair."""
    pairs = list(pairs)
    ids = {customer.pk for pair in pairs for customer in pair}
    found = {
        customer.pk: customer
        for customer in Customer.objects.filter(pk__in=ids)
        .select_related("user")
        .annotate(orders_count=Count("orders"))
    }
    return [
        (found[kept.pk], found[merged.pk])
        for kept, merged in pairs
        if kept.pk in found and merged.pk in found
    ]
