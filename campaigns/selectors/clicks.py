"""Which click of a campaign message counts for an order: one rule, read by the
attribution (which campaign an order goes to) and by the report (which channel)."""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from datetime import datetime


def counted_click(
    first: datetime | None, last: datetime | None, placed: datetime
) -> datetime | None:
    """A message's click that counts for an order placed at ``placed``: its last
    click before the order, else its first (a link opened again after the order, a
    forwarded link or a mail scanner, moves nothing)."""
    return last if last is not None and last <= placed else first


def clicked_last(
    messages: Iterable[tuple[Hashable, datetime | None, datetime | None]],
    placed: datetime,
    earliest: datetime,
):
    """Of ``messages`` as (key, first click, last click), the key of the latest
    click that counts between ``earliest`` and ``placed``; None when none does."""
    best = None
    for key, first, last in messages:
        counted = counted_click(first, last, placed)
        if counted is None or not earliest <= counted <= placed:
            continue
        if best is None or counted > best[0]:
            best = (counted, key)
    return best[1] if best else None
