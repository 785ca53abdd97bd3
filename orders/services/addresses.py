"""The delivery address of an order, checked before checkout prices it."""

from omnistore.core.exceptions import ValidationFailed
from omnistore.core.text import has_hidden_characters, one_line

HIDDEN_CHARACTERS = "Remove the invisible or control characters."


def clean_address(address) -> dict:
    """A delivery address as orders keep it, printed on a parcel's label and said in
    the order's history and emails: each field on one line (a run of white space,
    line breaks and tabs included, one space; none at the ends), a control or
    invisible format character refused (``has_hidden_characters``), the required
    fields present, a two-letter country, coordinates as numbers; every problem in
    one 400."""
    address = address if isinstance(address, dict) else {}
    errors = {}
    clean = {}
    for key in ("name", "line1", "line2", "city", "postcode", "country", "phone"):
        typed = str(address.get(key) or "")
        value = one_line(typed)
        if has_hidden_characters(typed):
            errors[key] = [HIDDEN_CHARACTERS]
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
