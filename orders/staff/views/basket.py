"""A line of the sale's basket as the counter shows and sells it: at its counter
price when one was set (and approved), else at the list price. A line the shop's
market's price list leaves out has no price here: it shows none, counts for
nothing in the total, and the sale is not paid while it holds it."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass
class BasketRow:
    line: object
    here: int
    elsewhere: int
    price: Decimal | None  # None: not on the shop's market's price list
    helper: str = ""  # the associate who helped, when one was named

    @property
    def unit_price(self) -> Decimal | None:
        if self.price is None:
            return None
        return self.line.counter_price or self.price

    @property
    def line_total(self) -> Decimal | None:
        unit = self.unit_price
        return None if unit is None else unit * self.line.quantity

    @property
    def short(self) -> bool:
        return self.here < self.line.quantity


def not_priced(rows: list[BasketRow], currency: str) -> str:
    """Why the sale cannot be paid as it is: lines not priced in the shop's
    currency (checkout would refuse them as not sold here); "" when none."""
    skus = [row.line.variant.sku for row in rows if row.price is None]
    if not skus:
        return ""
    them = "it" if len(skus) == 1 else "them"
    return (
        f"Not priced in {currency} at this shop, so not sold here: "
        f"{', '.join(skus)}. Take {them} out of the sale to take the payment."
    )


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
