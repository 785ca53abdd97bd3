"""Bulk writes in fixed-size batches, so memory stays bounded at any scale."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice

BATCH_SIZE = 5000


def batches(items: Iterable, size: int = BATCH_SIZE) -> Iterator[list]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk
