"""The carriers a parcel leaves with, how a tracking number is written, and where the
customer follows the parcel: one home for the staff form, the shipping service, the
order emails, the storefront API and the staff order page.

A carrier's tracking page takes the number in its address: the number is URL-quoted
into the carrier's template. "Other" carriers (and a parcel without a number) have
no link: the customer is given the number to ask the carrier about.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from django.db import models


class Carrier(models.TextChoices):
    DHL = "dhl", "DHL"
    UPS = "ups", "UPS"
    LA_POSTE = "la_poste", "La Poste"
    SWISS_POST = "swiss_post", "Swiss Post"
    POSTE_ITALIANE = "poste_italiane", "Poste Italiane"
    GLS = "gls", "GLS"
    DPD = "dpd", "DPD"
    OTHER = "other", "Other"


TRACKING_PAGES: dict[str, str] = {
    Carrier.DHL: "https://www.dhl.com/global-en/home/tracking/tracking-parcel.html"
    "?submit=1&tracking-id={number}",
    Carrier.UPS: "https://www.ups.com/track?tracknum={number}",
    Carrier.LA_POSTE: "https://www.laposte.fr/outils/suivre-vos-envois?code={number}",
    Carrier.SWISS_POST: "https://service.post.ch/ekp-web/ui/entry/search/{number}",
    Carrier.POSTE_ITALIANE: "https://www.poste.it/cerca/index.html"
    "#/risultati-spedizioni/{number}",
    Carrier.GLS: "https://gls-group.com/GROUP/en/parcel-tracking?match={number}",
    Carrier.DPD: "https://tracking.dpd.de/status/en_US/parcel/{number}",
}

# The carriers above write 10 to about 30 characters (a UPU international number
# has 13, a UPS "1Z" number 18); the bounds leave room for a local courier's short
# number and refuse what cannot be one (a sentence, a pasted address). They are also
# the shape the order history keeps on erasure (``orders.privacy``).
TRACKING_MIN_LENGTH = 4
TRACKING_MAX_LENGTH = 40
# Letters and digits, groups a single dash apart ("JJD-0001").
_TRACKING_NUMBER = re.compile(r"[A-Z0-9]+(?:-[A-Z0-9]+)*")


def clean_tracking_number(value: str | None) -> str:
    """The number as it is kept: a number read off a label is typed in groups and
    in any case ("1z 999 aa1"), and carriers read it without spaces, in capitals."""
    return "".join((value or "").split()).upper()


def tracking_number_problem(number: str) -> str:
    """What is wrong with a tracking number (as cleaned), or "" when it reads as
    one; no number at all is no problem (a parcel may leave without one)."""
    if not number:
        return ""
    if not TRACKING_MIN_LENGTH <= len(number) <= TRACKING_MAX_LENGTH:
        return (
            f"A tracking number has {TRACKING_MIN_LENGTH} to {TRACKING_MAX_LENGTH} "
            "characters."
        )
    if not _TRACKING_NUMBER.fullmatch(number):
        return (
            "A tracking number has only letters and digits, with spaces or single "
            "dashes between groups."
        )
    return ""


def tracking_url(carrier: str, number: str) -> str:
    """Where the customer follows the parcel on its carrier's site: "" for a carrier
    without a known tracking page ("Other", none given) or without a number."""
    page = TRACKING_PAGES.get(carrier)
    if page is None or not number:
        return ""
    return page.format(number=quote(number, safe=""))


def carrier_name(carrier: str) -> str:
    """The carrier as the customer reads it: its name, nothing for "Other" or none
    (the tracking number is then all there is to give)."""
    if carrier in ("", Carrier.OTHER) or carrier not in Carrier.values:
        return ""
    return Carrier(carrier).label
