"""The profile a storefront login works on.

A login gets a profile of its own on first use, never one found by the email or
phone it typed: anyone can type someone else's. A profile known by an email, a phone
or a receipt becomes the login's only after the login proves it owns them
(``customers.services.verification``).
"""

from __future__ import annotations

from customers.models import Customer
from customers.normalize import normalize_email
from customers.selectors.identities import STAFF_LOGIN, customer_for_user
from customers.services.matching import match_customer
from omnistore.core.channels import Channel
from omnistore.core.exceptions import NotFound


def refuse_staff_login(user) -> None:
    """A staff login has no storefront profile: 404 ``staff_login``, for reads and
    writes alike."""
    if not getattr(user, "is_storefront_customer", False):
        raise NotFound(STAFF_LOGIN, code="staff_login")


def profile_for_login(*, user, channel: str = Channel.WEB) -> Customer:
    """The live profile of a signed-in customer, created empty on first use.

    Staff logins get none (404 ``staff_login``): they act for customers through the
    staff pages, and a profile made for them would mix their own purchases with the
    customers they serve.
    """
    try:
        return customer_for_user(user)
    except NotFound:
        refuse_staff_login(user)
    customer = match_customer(
        user=user,
        first_name=user.first_name,
        last_name=user.last_name,
        channel=channel,
    )
    # The login's email is where its receipts go: contact data, not an identity, so
    # no order or shop profile is matched to it until proven.
    address = normalize_email(user.email)
    if address and not customer.email:
        customer.email = address
        customer.save(update_fields=["email", "updated_at"])
    return customer
