"""What an admin merge shows before it runs: which profile is kept (the older one)
and both profiles side by side, each with its orders counted."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Count

from customers.models import Customer


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
