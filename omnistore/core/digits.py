"""Whether a text is a whole number in ASCII digits.

``str.isdigit`` also takes "²" (which ``int`` refuses) and "٣" (which ``int`` reads
as 3): an id, a quantity or a PIN typed or sent is checked here before ``int``.
"""

from __future__ import annotations


def is_digits(value) -> bool:
    text = str(value)
    return text.isascii() and text.isdigit()
