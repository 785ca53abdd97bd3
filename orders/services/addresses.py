"""The delivery address of an order, checked before checkout prices it."""

from omnistore.core.exceptions import ValidationFailed


def clean_address(address) -> dict:
    """A delivery address as orders keep it: trimmed fields, the required ones
    present, a two-letter country, coordinates as numbers; every problem in one 400."""
    address = address if isinstance(address, dict) else {}
    errors = {}
    clean = {}
    for key in ("name", "line1", "line2", "city", "postcode", "country", "phone"):
        value = str(address.get(key) or "").strip()
        if len(value) > 250:
            errors[key] = ["Too long."]
        clean[key] = value
    for key in ("line1", "city", "postcode"):
        if not clean[key]:
            errors[key] = ["Required for delivery."]
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
