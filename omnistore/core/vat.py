"""VAT numbers: checked offline with ``python-stdnum`` before anything is written.

A business customer's number and a legal entity's number take the same rule, so it
lives here, below every app. Numbers are kept compact with their country prefix
(``IT00743110157``, ``CHE116281710MWST``), which is what an invoice prints and what a
tax office looks up; ``format_vat_number`` gives the spelling people read.
"""

from __future__ import annotations

from stdnum.ch import vat as ch_vat
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import ValidationError as NumberError

from omnistore.core.exceptions import ValidationFailed

# Swiss numbers end in the language of the register (MWST, TVA, IVA); a number typed
# without it is the same number, registered in German unless said otherwise.
SWISS_SUFFIXES = ("MWST", "TVA", "IVA")
# The prefixes EU numbers are written with: the member states' ISO codes, but
# Greece's ``EL`` for ``GR`` (and Northern Ireland's ``XI``).
EU_PREFIXES = (frozenset(eu_vat.MEMBER_STATES) - {"gr"}) | {"el"}


def _compact(value: str) -> str:
    return "".join(ch for ch in str(value or "") if ch.isalnum()).upper()


def vat_country(number: str) -> str:
    """The ISO country of a compact number (Greece's ``EL`` is ``GR``)."""
    if number.startswith("CHE"):
        return "CH"
    prefix = number[:2]
    return {"EL": "GR", "XI": "GB"}.get(prefix, prefix)


def _greek_prefix(compact: str) -> str:
    """Greece registers its numbers under ``EL``, as VIES and invoices write them: a
    number typed with ``GR``, its ISO code, is the same number."""
    return "EL" + compact[2:] if compact.startswith("GR") else compact


def _swiss(compact: str) -> str:
    if not compact.endswith(SWISS_SUFFIXES):
        compact += "MWST"
    ch_vat.validate(compact)
    return ch_vat.compact(compact)


def check_vat_number(value: str, *, field: str = "vat_number") -> str:
    """The number, compact and checked (country prefix, length, check digit); blank
    stays blank. Anything else is a ``ValidationFailed`` naming ``field``, so the API
    answers 400 and a form shows the message next to the field."""
    compact = _compact(value)
    if not compact and not str(value or "").strip():
        return ""
    try:
        if not compact:  # only signs, no letter or digit: not a blank
            raise NumberError("no number")
        if compact.startswith("CHE"):
            return _swiss(compact)
        compact = _greek_prefix(compact)
        if compact[:2].lower() not in EU_PREFIXES:
            raise NumberError("unknown country")
        eu_vat.validate(compact)
        return eu_vat.compact(compact)
    except NumberError:
        message = (
            f"{value!s} is not a valid VAT number: give it with its country prefix "
            "(IT00743110157, ATU13585627, CHE-116.281.710 MWST) and check the digits."
        )
        raise ValidationFailed(
            message, code="invalid_vat_number", extra={field: [message]}
        ) from None


def format_vat_number(number: str) -> str:
    """The number as people write it (``CHE-116.281.710 MWST``); EU numbers stay
    compact, as the VIES register prints them."""
    if not number:
        return ""
    if number.startswith("CHE"):
        try:
            return ch_vat.format(number)
        except NumberError:
            return number
    return number
