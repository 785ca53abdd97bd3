"""A line of the sale's basket as the counter shows and sells it: at its counter
price when one was set (and approved), else at the list price."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass
class BasketRow:
    line: object
    here: int
    elsewhere: int
    price: Decimal
    helper: str = ""  # the associate who helped, when one was named

    @property
    def unit_price(self) -> Decimal:
        return self.line.counter_price or self.price

    @property
    def line_total(self) -> Decimal:
        return self.unit_price * self.line.quantity

    @property
    def short(self) -> bool:
        return self.here < self.line.quantity


def counter_prices(rows: list[BasketRow]) -> dict[int, Decimal]:
    """What checkout sells below (or above) the list price, by variant id."""
    return {
        row.line.variant_id: row.line.counter_price
        for row in rows
        if row.line.counter_price
    }


def helpers(rows: list[BasketRow]) -> dict[int, int]:
    """Whom each line credits (the associate who helped), by variant id."""
    return {
        row.line.variant_id: row.line.helped_by_id
        for row in rows
        if row.line.helped_by_id
    }
