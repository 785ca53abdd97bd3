"""Who buys at a checkout: signed in, chosen by staff or reachable by the contact
they left, and that contact as the order keeps it.

The phone is kept in E.164, as the customers app stores and searches phone numbers
(``customers.normalize.normalize_phone``), whoever placed the order: the pickup desk
and the admin find the order by that phone however it was typed.
"""

from __future__ import annotations

from customers.models import Customer
from customers.normalize import normalize_phone
from inventory.models import Location
from omnistore.core.actors import acting_user
from omnistore.core.exceptions import ValidationFailed
from orders.models import FulfilmentMethod


def buyer_contact(
    contact: tuple, *, shop: Location | None, country: str, errors: dict
) -> dict[str, str]:
    """The buyer's ``contact`` (email, phone, first and last name, loyalty number) as
    the order keeps it: trimmed, never None, the phone in E.164. A national number
    is read where the order is taken or collected (``shop``), else in the delivery
    ``country``, else in the default region, as the customers app reads it there.
    A phone that reads as no number is a field error on ``phone`` in ``errors``,
    refused with the checkout's other problems."""
    email, phone, first_name, last_name, loyalty_number = contact
    return {
        "email": (email or "").strip(),
        "phone": kept_phone(phone, shop=shop, country=country, errors=errors),
        "first_name": first_name or "",
        "last_name": last_name or "",
        "loyalty_number": (loyalty_number or "").strip(),
    }


def kept_phone(
    phone, *, shop: Location | None, country: str, errors: dict | None = None
) -> str:
    """``phone`` as the order keeps it (``buyer_contact``): in E.164, a national
    number read at ``shop``, else in ``country``, else in the default region. One
    that reads as no number stays as typed (it still counts as left), a field error
    on ``phone`` in ``errors`` when given."""
    region = shop.country if shop is not None else country or None
    try:
        return normalize_phone(phone, region=region, strict=True) or ""
    except ValidationFailed as refused:
        if errors is not None:
            errors.update(refused.extra)
        return phone or ""


def identify_buyer(
    fulfilment: str, *, customer: Customer | None, user, contact: dict, errors: dict
) -> tuple[bool, bool]:
    """Whether the buyer is signed in and whether they left a ``contact`` (email,
    phone or loyalty number). Only a carry-out sale may stay anonymous: every other
    order has to reach its customer."""
    signed_in = acting_user(user) is not None
    identified = any(contact[name] for name in ("email", "phone", "loyalty_number"))
    anonymous = customer is None and not (signed_in or identified)
    if anonymous and fulfilment != FulfilmentMethod.CARRY_OUT:
        errors["email"] = ["Give an email address or a phone number."]
    return signed_in, identified
