"""The delivery address of an order, checked before checkout prices it."""

from omnistore.core.exceptions import ValidationFailed
from omnistore.core.text import address_field


def clean_address(address) -> dict:
    """A delivery address as orders keep it, printed on a parcel's label and said in
    the order's history and emails: each field on one line (a run of white space,
    line breaks and tabs included, one space; none at the ends), a control or
    invisible format character refused (``address_field``, as a saved address is),
    the required fields present, a two-letter country, coordinates as numbers; every
    problem in one 400."""
    address = address if isinstance(address, dict) else {}
    errors = {}
    clean = {}
    for key in ("name", "line1", "line2", "city", "postcode", "country", "phone"):
        value, refused = address_field(address.get(key) or "")
        if refused:
            errors[key] = [refused]
        elif len(value) > 250:
            errors[key] = ["Too long."]
        clean[key] = value
    for key in ("line1", "city", "postcode"):
        if not clean[key]:
            errors.setdefault(key, ["Required for delivery."])
    clean["country"] = (clean["country"] or "IT").upper()
    if len(clean["country"]) != 2:
        errors["country"] = ["Use the two-letter country code."]
    for key in ("latitude", "longitude"):
        if address.get(key) not in (None, ""):
            try:
                clean[key] = float(address[key])
            except (TypeError, ValueError):
                errors[key] = ["Must be a number."]
    if errors:
        raise ValidationFailed("Check the delivery address.", extra={"address": errors})
    return clean
