"""A customer's saved delivery addresses, read: their list, one of them, and one
as checkout takes it."""

from __future__ import annotations

from customers.models import Address, Customer
from omnistore.core.exceptions import NotFound, ValidationFailed

REQUIRED_FIELDS = ("line1", "city", "postcode")
# What an order keeps of a saved address: everything but the customer's own label.
DELIVERY_FIELDS = ("name", "line1", "line2", "city", "postcode", "country", "phone")


def customer_addresses(customer: Customer):
    """The customer's addresses, the default first, then in the order saved."""
    return Address.objects.filter(customer=customer).order_by(
        "-is_default", "created_at", "id"
    )


def customer_address(customer: Customer, address_id) -> Address:
    """One of the customer's own addresses; another person's answers 404, as an
    unknown one does."""
    try:
        pk = int(address_id)
    except (TypeError, ValueError):
        pk = None
    found = Address.objects.filter(customer=customer, pk=pk).first() if pk else None
    if found is None:
        raise NotFound("No such address.")
    return found


def delivery_address(customer: Customer | None, address_id) -> dict:
    """A saved address as checkout takes a typed one. Unknown, another person's or
    unusable is one 400 on ``address_id`` alike: whether the id exists for someone
    else is never told."""
    refused = ValidationFailed(
        "Choose one of your saved addresses.",
        extra={"address_id": ["Not one of your saved addresses."]},
    )
    if customer is None:
        raise refused
    try:
        saved = customer_address(customer, address_id)
    except NotFound:
        raise refused from None
    missing = [f for f in REQUIRED_FIELDS if not (getattr(saved, f) or "").strip()]
    if missing:
        raise ValidationFailed(
            "Complete the saved address first.",
            extra={"address_id": [f"The address has no {', '.join(missing)}."]},
        )
    return {field: getattr(saved, field) for field in DELIVERY_FIELDS}
