"""Which profile an id, a login or a stale object stands for now.

A merged profile keeps its id and points at the survivor through ``merged_into``;
every read and write that is handed an old id walks that chain here.
"""

from __future__ import annotations

from customers.models import Customer
from omnistore.core.exceptions import NotFound

STAFF_LOGIN = "Staff logins have no customer profile; sign in with a customer account."


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


def survivor_of(customer: Customer) -> Customer:
    """The survivor of a freshly read profile (itself when it was never merged)."""
    return (
        resolve_customer(customer.merged_into_id)
        if customer.merged_into_id
        else customer
    )


def current_profile(customer: Customer) -> Customer:
    """The survivor when ``customer`` was merged, even if this object predates it."""
    found = (  # unordered: a profile's ordering costs more than this read
        Customer.objects.filter(pk=customer.pk)
        .order_by()
        .values_list("merged_into_id", flat=True)[:1]
    )
    merged_into = found[0] if found else None
    return resolve_customer(merged_into) if merged_into else customer


def customer_for_user(user) -> Customer:
    """The live profile of a signed-in customer (a merged one leads to the survivor).

    A staff login has none and is told so (404 ``staff_login``), on every storefront
    endpoint alike."""
    if user is None or not getattr(user, "is_authenticated", False):
        raise NotFound("No customer profile.")
    if not getattr(user, "is_storefront_customer", False):
        raise NotFound(STAFF_LOGIN, code="staff_login")
    profile = (
        Customer.objects.select_related("preferred_store").filter(user=user).first()
    )
    if profile is None:
        raise NotFound("No customer profile.")
    return survivor_of(profile)
