"""Whether a text is a whole number in ASCII digits, or an amount of money.

``str.isdigit`` also takes "²" (which ``int`` refuses) and "٣" (which ``int`` reads
as 3): an id, a quantity or a PIN typed or sent is checked here before ``int``.
``Decimal`` reads "1e5", "+10" and "１０" too: an amount typed by staff is checked
by ``is_amount`` before ``Decimal`` (the staff forms' ``MoneyField``, a gift card's
amount).
"""

from __future__ import annotations

import re

AMOUNT = re.compile(r"[0-9]{1,9}(\.[0-9]*)?")


def is_digits(value) -> bool:
    text = str(value)
    return text.isascii() and text.isdigit()


def is_amount(value) -> bool:
    """ASCII digits with an optional point and decimals, as people write an amount:
    no exponent, sign, grouping or other script. Up to 999,999,999 (the decimals
    allowed are the caller's to check)."""
    return bool(AMOUNT.fullmatch(str(value)))
