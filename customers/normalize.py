"""Emails, phone numbers and loyalty numbers written one way, however they are typed.

Services store identities in this form and selectors look them up in it.
"""

from __future__ import annotations

import unicodedata

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email

from omnistore.core.exceptions import ValidationFailed


def normalize_email(value, *, strict: bool = False) -> str | None:
    """Trimmed and lower-cased, in one Unicode form (NFKC), its domain as mail
    resolves it (IDNA: ``ｅｘａｍｐｌｅ.com``, or ``example.com`` with a zero-width
    space in it, is ``example.com``), so one mailbox is one identity however it is
    typed; ``None`` when empty or invalid (``strict`` raises)."""
    if value is None:
        return None
    text = _domain_as_resolved(
        unicodedata.normalize("NFKC", str(value)).strip().lower()
    )
    if not text:
        return None
    try:
        validate_email(text)
    except DjangoValidationError:
        if strict:
            raise ValidationFailed(
                "Enter a valid email address.",
                extra={"email": ["Enter a valid email address."]},
            ) from None
        return None
    return text


def _domain_as_resolved(text: str) -> str:
    """The address with its domain through IDNA's mapping and back, so a domain
    spelled in punycode reads as its letters (a domain IDNA cannot map is left as
    typed: the validation refuses it)."""
    local, at, domain = text.rpartition("@")
    if not at or (domain.isascii() and "xn--" not in domain):
        return text
    try:
        domain = domain.encode("idna").decode("idna")
    except UnicodeError:
        return text
    return f"{local}@{domain}"


def normalize_phone(
    value, *, region: str | None = None, strict: bool = False
) -> str | None:
    """E.164 ("+393331234567"); national numbers are read in ``region`` (the shop's
    country, default ``OMNISTORE_DEFAULT_REGION``). ``None`` when empty or invalid."""
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    if text.startswith("00"):
        # "00" is the international prefix in most of the world; read it as "+".
        text = "+" + text[2:]
    region = (region or settings.OMNISTORE_DEFAULT_REGION or "").upper() or None
    number = None
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        if strict:
            raise ValidationFailed(
                "Enter a valid phone number.",
                extra={"phone": ["Enter a valid phone number."]},
            )
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalize_loyalty_number(value) -> str | None:
    if value is None:
        return None
    text = "".join(str(value).split()).upper()
    return text or None
