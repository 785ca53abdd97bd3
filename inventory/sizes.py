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


def step_size(size: str, steps: int, offered=()) -> str | None:
    """The size ``steps`` places up (down when negative) from ``size``: along the sizes
    the product is ``offered`` in when ``size`` is one of them (a shoe's 41 → 42, a
    kid's 6Y → 8Y), else along the letter sizes; the run's end stays the end. None
    when the size sits on no known run."""
    text = (size or "").strip()
    run = sort_sizes(dict.fromkeys(s.strip() for s in offered if s and s.strip()))
    if text not in run:
        rank = _LETTER_RANK.get(text.upper())
        if rank is None:
            return None
        run, text = LETTER_SIZES, LETTER_SIZES[rank]
    index = min(max(run.index(text) + steps, 0), len(run) - 1)
    return run[index]
