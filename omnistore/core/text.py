"""Text as it comes in through any door: the bidirectional controls are dropped.

The embeddings and overrides (U+202A–U+202E) and the isolates (U+2066–U+2069) are
invisible and turn what follows them around on screen: a first name typed as
``Evil`` + U+202E + ``SIHT`` shows as "EvilTHIS", so a name, a note or an address
would read as something else than it holds on the staff screens, a receipt or an
email. Nothing this product takes in needs them, so they are dropped where every
request's text is read: the API's body parsers (``omnistore.core.parsers``) and,
for the staff pages and the admin, a form's fields at the door
(``omnistore.core.middleware``), before any form or serializer sees them. NUL is
refused at the same doors.

Secrets are kept as sent (``is_secret``: a password, a PIN), being compared, never
shown. The marks U+200E and U+200F are kept: keyboards of right-to-left languages type
them, and being only a direction without a glyph they cannot turn letters around,
only place the punctuation beside them.

A delivery address is stricter (``has_hidden_characters``): printed on a parcel's label
for a courier, said in the order's history and emails, it refuses every control and
format character (zero-width spaces, a byte order mark, a soft hyphen) but white
space, kept on one line (``one_line``), and the few that scripts need: the joiners
(U+200C, U+200D: Persian and Indic words, emoji) and the direction marks. Checkout's
address and the saved addresses it takes share the rule (``address_field``).
"""

from __future__ import annotations

import unicodedata
from urllib.parse import urlencode

from django.http import QueryDict

BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_DROPPED = dict.fromkeys(map(ord, BIDI_CONTROLS))
# What shows nothing on its own: format characters (zero-width space and joiners,
# direction marks, invisible operators, byte order mark, soft hyphen), controls,
# spaces, marks that only change the letter before them (variation selectors,
# combining accents) and the Hangul fillers. Kept inside a name, where scripts and
# emoji need them; a name of nothing else shows as nothing.
_NO_GLYPH_CATEGORIES = frozenset({"Cf", "Cc", "Zs", "Zl", "Zp", "Mn", "Me"})
_FILLERS = frozenset("\u115f\u1160\u3164\uffa0")
# Controls and format characters: neither shows a glyph of its own. The joiners and
# direction marks among them are kept: scripts and keyboards need them.
_HIDDEN_CATEGORIES = frozenset({"Cc", "Cf"})
_SCRIPT_FORMATS = frozenset("\u200c\u200d\u200e\u200f")


def _shows_nothing(char: str) -> bool:
    return char in _FILLERS or unicodedata.category(char) in _NO_GLYPH_CATEGORIES


def one_line(text) -> str:
    """``text`` as a name or a subject line holds it: each run of white space
    (line breaks and tabs included) one space, none at the ends; "" when no visible
    character is left. A line break in a name would end an email's header."""
    flat = " ".join(str(text or "").split())
    if flat and all(_shows_nothing(char) for char in flat):
        return ""
    return flat


def has_hidden_characters(text) -> bool:
    """Whether ``text`` holds a character that shows nothing and is not white space:
    a control (a bell, an escape, a delete) or a format character (the
    bidirectional controls, a zero-width space, a byte order mark, a soft hyphen),
    but not the joiners and direction marks scripts need (``_SCRIPT_FORMATS``)."""
    return any(
        unicodedata.category(char) in _HIDDEN_CATEGORIES
        and not char.isspace()
        and char not in _SCRIPT_FORMATS
        for char in str(text or "")
    )


# Why a field of a delivery address is refused (``address_field``).
HIDDEN_CHARACTERS = "Remove the invisible or control characters."


def address_field(value) -> tuple[str, str]:
    """A delivery address's field as it is kept, and why it is refused ("" when it is
    not): on one line (``one_line``), with no control or invisible format character
    (``has_hidden_characters``). The rule of an address typed at checkout and of one
    saved to the address book, which checkout takes as typed: an address saved is
    one checkout will not refuse for its characters."""
    typed = str(value if value is not None else "")
    refused = HIDDEN_CHARACTERS if has_hidden_characters(typed) else ""
    return one_line(typed), refused


def is_secret(key) -> bool:
    """A field never shown, typed to be compared (a password, a PIN): kept as sent,
    or a password holding one of these characters would no longer sign in."""
    name = str(key).lower()
    return "password" in name or name == "pin" or name.endswith(("_pin", "-pin"))


def without_bidi_controls(text: str) -> str:
    """``text`` without the bidirectional controls."""
    return text if text.isascii() else text.translate(_DROPPED)


def has_bidi_controls(text: str) -> bool:
    return not text.isascii() and not BIDI_CONTROLS.isdisjoint(text)


def form_without_bidi_controls(form: QueryDict) -> QueryDict:
    """A form's fields without the bidirectional controls: ``form`` itself when
    none holds one, else a new form of the same fields (read-only, as a request's
    is)."""
    if not any(
        has_bidi_controls(value)
        for key, values in form.lists()
        if not is_secret(key)
        for value in values
    ):
        return form
    fields = [
        (key, value if is_secret(key) else without_bidi_controls(value))
        for key, values in form.lists()
        for value in values
    ]
    return QueryDict(urlencode(fields, encoding=form.encoding), encoding=form.encoding)


def data_without_bidi_controls(data):
    """Parsed JSON (its keys and strings at any depth), or a form, without the
    bidirectional controls. The caller has checked the depth."""
    if isinstance(data, QueryDict):
        return form_without_bidi_controls(data)
    if isinstance(data, str):
        return without_bidi_controls(data)
    if isinstance(data, dict):
        return {
            data_without_bidi_controls(key): (
                value if is_secret(key) else data_without_bidi_controls(value)
            )
            for key, value in data.items()
        }
    if isinstance(data, list):
        return [data_without_bidi_controls(item) for item in data]
    return data
