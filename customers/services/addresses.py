"""A customer's saved delivery addresses: added, changed and removed by the customer,
and copied into an order at checkout.

A customer with addresses has exactly one default: the first one saved becomes it,
``is_default`` moves it (the others lose it in the same transaction), and removing it
hands it to the oldest address left. Every write locks the live profile row first, so
two requests making different addresses the default leave exactly one, and a write
that waited for an erasure finds the profile erased and writes nothing. Every change
is on the timeline, as profile edits are: who made it, where, and what the address
said before and after (the storefront and the shop's staff write through the same
functions, so both are told apart only by the actor and the channel).
"""

from __future__ import annotations

from django.db import transaction

from customers.models import Address, Customer
from customers.selectors.addresses import REQUIRED_FIELDS, customer_address
from customers.services.common import UNSET
from customers.services.identities import lock_live_profile
from customers.services.timeline import changes_said, record_event
from inventory.markets import tax_table
from omnistore.core.exceptions import Conflict, ValidationFailed
from omnistore.core.text import address_field

EVENT_ADDRESS_ADDED = "address_added"
EVENT_ADDRESS_UPDATED = "address_updated"
EVENT_ADDRESS_REMOVED = "address_removed"

# Far above any household's use; it stops a runaway client from growing the book.
MAX_ADDRESSES = 20
DEFAULT_COUNTRY = "IT"

TEXT_FIELDS = (
    "label",
    "name",
    "line1",
    "line2",
    "city",
    "postcode",
    "country",
    "phone",
)
# What the timeline keeps of an address before and after a change.
SAID_FIELDS = (*TEXT_FIELDS, "is_default")
FIELD_NAMES = {"line1": "line 1", "line2": "line 2", "is_default": "default"}


def max_length(field: str) -> int:
    """The column's length: the one limit for every door (API, admin, checkout)."""
    return Address._meta.get_field(field).max_length


# --- checks --------------------------------------------------------------------------


def clean_address_fields(fields: dict, *, partial: bool) -> dict:
    """Texts on one line within their columns, none holding a control or invisible
    character (``address_field``, checkout's rule), the required ones present (when
    given, on a change), a two-letter country upper-cased that a market sells to (an
    address checkout would refuse is refused when saved); every problem in one
    400."""
    errors: dict[str, list[str]] = {}
    clean = {}
    for field in TEXT_FIELDS:
        if field not in fields:
            continue
        value, refused = address_field(fields[field])
        if refused:
            errors[field] = [refused]
        elif len(value) > max_length(field):
            errors[field] = [f"At most {max_length(field)} characters."]
        clean[field] = value
    for field in REQUIRED_FIELDS:
        if (field in clean or not partial) and not clean.get(field):
            errors.setdefault(field, ["Required."])
    if "country" in clean or not partial:
        country = (clean.get("country") or DEFAULT_COUNTRY).upper()
        if not (len(country) == 2 and country.isascii() and country.isalpha()):
            errors["country"] = ["Use the two-letter country code."]
        elif tax_table().market_of_country(country) is None:
            # checkout's rule: a delivery goes only where a market sells
            errors["country"] = [f"No market sells to {country}."]
        clean["country"] = country
    if errors:
        raise ValidationFailed("Check the address.", extra=errors)
    return clean


# --- writes --------------------------------------------------------------------------


@transaction.atomic
def add_address(
    *,
    customer: Customer,
    actor=None,
    channel: str = "",
    location=None,
    is_default: bool = False,
    **fields,
) -> Address:
    """Save a new address (``label``, ``name``, ``line1``, ``line2``, ``city``,
    ``postcode``, ``country``, ``phone``). The first one is the default; 409
    ``too_many_addresses`` past ``MAX_ADDRESSES``. The same address sent again (a
    double tap, a retried request) is the one saved, not a second copy, and is
    answered with ``already_saved`` True: every field alike, a field left out
    counting as empty (the same street without a name is another address)."""
    sent = clean_address_fields(_known(fields), partial=False)
    clean = dict.fromkeys(TEXT_FIELDS, "") | sent
    customer = lock_live_profile(customer)
    held = Address.objects.filter(customer=customer)
    same = held.filter(**clean).order_by("pk").first()
    if same is not None:
        if is_default and not same.is_default:
            same = update_address(
                customer=customer,
                address_id=same.pk,
                actor=actor,
                channel=channel,
                location=location,
                is_default=True,
            )
        same.already_saved = True
        return same
    count = held.count()
    if count >= MAX_ADDRESSES:
        raise Conflict(
            f"At most {MAX_ADDRESSES} saved addresses: remove one first.",
            code="too_many_addresses",
            extra={"limit": MAX_ADDRESSES},
        )
    is_default = bool(is_default) or count == 0
    if is_default:
        held.filter(is_default=True).update(is_default=False)
    address = Address.objects.create(customer=customer, is_default=is_default, **clean)
    address.already_saved = False
    _record(
        customer,
        address,
        EVENT_ADDRESS_ADDED,
        f"added: {address}",
        {"after": _said(address, SAID_FIELDS)},
        actor=actor,
        channel=channel,
        location=location,
    )
    return address


@transaction.atomic
def update_address(
    *,
    customer: Customer,
    address_id,
    actor=None,
    channel: str = "",
    location=None,
    is_default=UNSET,
    **fields,
) -> Address:
    """Change only the fields given. ``is_default=True`` makes it the only default;
    the default cannot be unset (another address is made the default instead)."""
    clean = clean_address_fields(_known(fields), partial=True)
    customer = lock_live_profile(customer)
    address = customer_address(customer, address_id)
    before = _said(address, SAID_FIELDS)
    changed = [f for f, v in clean.items() if getattr(address, f) != v]
    for field in changed:
        setattr(address, field, clean[field])
    if is_default is not UNSET and bool(is_default) != address.is_default:
        if not is_default:
            raise ValidationFailed(
                "Make another address the default instead.",
                extra={"is_default": ["There is always a default address."]},
            )
        Address.objects.filter(customer=customer, is_default=True).update(
            is_default=False
        )
        address.is_default = True
        changed.append("is_default")
    if not changed:
        return address
    address.save(update_fields=changed)
    before = {field: before[field] for field in changed}
    after = _said(address, changed)
    _record(
        customer,
        address,
        EVENT_ADDRESS_UPDATED,
        "changed: " + changes_said(changed, before, after, names=FIELD_NAMES),
        {"fields": changed, "before": before, "after": after},
        actor=actor,
        channel=channel,
        location=location,
    )
    return address


@transaction.atomic
def remove_address(
    *,
    customer: Customer,
    address_id,
    actor=None,
    channel: str = "",
    location=None,
) -> None:
    """Delete the address; the default goes to the oldest address left. Orders keep
    their own copy, so none changes; the timeline keeps what it said."""
    customer = lock_live_profile(customer)
    address = customer_address(customer, address_id)
    was_default = address.is_default
    _record(
        customer,
        address,
        EVENT_ADDRESS_REMOVED,
        f"removed: {address}",
        {"before": _said(address, SAID_FIELDS)},
        actor=actor,
        channel=channel,
        location=location,
    )
    address.delete()
    left = Address.objects.filter(customer=customer)
    # A merge may have brought a second default: it stays the one.
    if was_default and not left.filter(is_default=True).exists():
        oldest = left.order_by("created_at", "id").values_list("pk", flat=True)[:1]
        left.filter(pk__in=list(oldest)).update(is_default=True)


def _known(fields: dict) -> dict:
    unknown = set(fields) - set(TEXT_FIELDS)
    if unknown:
        raise ValidationFailed(
            "Unknown address field.",
            extra={name: ["Unknown field."] for name in sorted(unknown)},
        )
    return fields


def _record(customer, address, kind, what, data, *, actor, channel, location) -> None:
    """The change on the timeline, in the customer's locked transaction: "Delivery
    address “Home” changed: city Milano → Torino", and in ``data`` the fields as
    they were and became (an erasure clears both with the rest of the timeline)."""
    label = f" “{address.label}”" if address.label else ""
    record_event(
        customer=customer,
        kind=kind,
        summary=f"Delivery address{label} {what}",
        actor=actor,
        channel=channel,
        location=location,
        data={"address_id": address.pk, **data},
        reference_type="address",
        reference_id=str(address.pk),
        locked=True,
    )


def _said(address: Address, fields) -> dict:
    return {field: getattr(address, field) for field in fields}


def fold_addresses(survivor: Customer, other: Customer) -> None:
    """Before a merge moves ``other``'s addresses to ``survivor``: the survivor's
    default stays the one default (the other's becomes a plain saved address)."""
    if Address.objects.filter(customer=survivor, is_default=True).exists():
        Address.objects.filter(customer=other, is_default=True).update(is_default=False)
