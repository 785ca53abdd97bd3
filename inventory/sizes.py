"""Sizes in the order a shop floor reads them: letter sizes from XXS to XXXL, then
numbers (shoe, trouser and belt sizes) by value, anything else by its text."""

from __future__ import annotations

import re

LETTER_SIZES = ["XXS", "XS", "S", "M", "L", "XL", "XXL", "XXXL"]
_LETTER_RANK = {size: rank for rank, size in enumerate(LETTER_SIZES)}
_LETTER_RANK.update({"2XL": _LETTER_RANK["XXL"], "3XL": _LETTER_RANK["XXXL"]})
_NUMBER = re.compile(r"^\d+(?:[.,]\d+)?")


def size_key(size: str) -> tuple:
    """A sort key: ``sorted(["L", "XS", "M"], key=size_key)`` is XS, M, L."""
    text = (size or "").strip().upper()
    if text in _LETTER_RANK:
        return (0, _LETTER_RANK[text], 0.0, text)
    number = _NUMBER.match(text)
    if number:
        return (1, 0, float(number.group().replace(",", ".")), text)
    return (2, 0, 0.0, text)


def sort_sizes(sizes) -> list[str]:
    return sorted(sizes, key=size_key)
