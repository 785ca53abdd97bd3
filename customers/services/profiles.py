"""Profile fields a customer or an associate changes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from customers.models import (
    Customer,
)
from customers.services.common import UNSET
from customers.services.identities import (
    lock_live_profile,
)
from customers.services.timeline import (
    EVENT_PROFILE_UPDATED,
    changes_said,
    record_event,
)
from inventory.models import Category, Location, LocationKind
from omnistore.core.digits import is_digits
from omnistore.core.exceptions import ValidationFailed
from omnistore.core.text import one_line
from omnistore.core.vat import check_vat_number

# Nobody alive was born before it: an earlier date is a typo or a placeholder
# (0001-01-01), not a birthday.
EARLIEST_BIRTHDAY = dt.date(1900, 1, 1)
NAME_MAX = Customer._meta.get_field("first_name").max_length


def check_birthday(birthday) -> None:
    """The one check of a birthday, for the storefront and the admin alike."""
    if birthday is None:
        return
    if birthday > timezone.localdate():
        raise ValidationFailed(
            "A birthday cannot be in the future.",
            extra={"birthday": ["Cannot be in the future."]},
        )
    if birthday < EARLIEST_BIRTHDAY:
        raise ValidationFailed(
            "A birthday cannot be before 1900.",
            extra={"birthday": ["From 1900-01-01."]},
        )


def clean_preferences(value) -> dict:
    """Sizes per category and favourite categories, every slug a known category."""
    if not isinstance(value, dict):
        raise ValidationFailed(
            "Preferences must be an object.",
            extra={"preferences": ["Must be an object."]},
        )
    unknown = set(value) - {"sizes", "favourite_categories"}
    if unknown:
        raise ValidationFailed(
            "Unknown preference.",
            extra={"preferences": [f"Unknown keys: {', '.join(sorted(unknown))}."]},
        )
    sizes = value.get("sizes", {})
    favourites = value.get("favourite_categories", [])
    if not isinstance(sizes, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and 0 < len(v) <= 20
        for k, v in sizes.items()
    ):
        raise ValidationFailed(
            "Sizes must map a category to a size.",
            extra={"preferences": ["sizes: {category_slug: size} expected."]},
        )
    if not isinstance(favourites, list) or not all(
        isinstance(x, str) for x in favourites
    ):
        raise ValidationFailed(
            "Favourite categories must be a list.",
            extra={"preferences": ["favourite_categories: list of slugs expected."]},
        )
    slugs = set(sizes) | set(favourites)
    known = set(Category.objects.filter(slug__in=slugs).values_list("slug", flat=True))
    if slugs - known:
        raise ValidationFailed(
            "Unknown category.",
            extra={
                "preferences": [
                    f"Unknown categories: {', '.join(sorted(slugs - known))}."
                ]
            },
        )
    return {
        "sizes": dict(sizes),
        "favourite_categories": list(dict.fromkeys(favourites)),
    }


def _clean_store(value) -> Location | None:
    if value is None or value == "":
        return None
    pk = value.pk if isinstance(value, Location) else value
    store = None
    if is_digits(pk):
        shops = Location.objects.filter(kind=LocationKind.SHOP, active=True)
        store = shops.filter(pk=pk).first()
    if store is None:
        raise ValidationFailed(
            "Choose an open shop.", extra={"preferred_store": ["Not an active shop."]}
        )
    return store


def _business_changes(company_name, vat_number) -> dict[str, str]:
    changes = {}
    if company_name is not UNSET:
        changes["company_name"] = (company_name or "").strip()[:200]
    if vat_number is not UNSET:
        changes["vat_number"] = check_vat_number(vat_number or "")
    return changes


def _name_as_kept(value) -> str:
    """A first or last name as ``Customer.save`` keeps it (``one_line``), within its
    100 characters: compared with the stored one, so a name sent again as typed
    before changes nothing, and put on the timeline as it is kept. Flattened again
    after the cut, which may end on a space."""
    return one_line(one_line(value)[:NAME_MAX])


@transaction.atomic
def update_profile(
    *,
    customer: Customer,
    actor=None,
    channel: str = "",
    first_name=UNSET,
    last_name=UNSET,
    birthday=UNSET,
    preferred_store=UNSET,
    preferences=UNSET,
    company_name=UNSET,
    vat_number=UNSET,
) -> Customer:
    """Change only the fields given; the change is on the timeline. Every field is
    checked before the profile is locked, so a bad VAT number changes nothing."""
    business = _business_changes(company_name, vat_number)
    customer = lock_live_profile(customer)
    changes: dict[str, Any] = {}
    if first_name is not UNSET:
        changes["first_name"] = _name_as_kept(first_name)
    if last_name is not UNSET:
        changes["last_name"] = _name_as_kept(last_name)
    if birthday is not UNSET:
        check_birthday(birthday)
        changes["birthday"] = birthday
    if preferred_store is not UNSET:
        changes["preferred_store"] = _clean_store(preferred_store)
    if preferences is not UNSET:
        changes["preferences"] = clean_preferences(preferences)
    changes.update(business)
    changed = [f for f, v in changes.items() if getattr(customer, f) != v]
    if not changed:
        return customer
    before = {field: _said(getattr(customer, field)) for field in changed}
    for field in changed:
        setattr(customer, field, changes[field])
    customer.save(update_fields=[*changed, "updated_at"])
    after = {field: _said(changes[field]) for field in changed}
    record_event(
        customer=customer,
        kind=EVENT_PROFILE_UPDATED,
        summary="Profile updated: "
        + changes_said(changed, before, after, unsaid={"preferences"}),
        actor=actor,
        channel=channel,
        data={"fields": changed, "before": before, "after": after},
    )
    return customer


def _said(value):
    """A profile field's value as the timeline keeps it (JSON: a shop by its name)."""
    if isinstance(value, Location):
        return value.name
    if isinstance(value, dt.date):
        return value.isoformat()
    return value
