"""Whether any return of an order can still be taken, as the desk asks it before
offering one: the smallest return takes back one unit, so it is refused when the
payments that can still take money back (``given_up_by_erasure``) take less than
the cheapest unit left refunds, at the price the desk shows it paid
(``paid_each``)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from orders.models import Order, OrderLine
from orders.selectors.given_up import CENT, GivenUp, given_up_by_erasure
from orders.selectors.returns import paid_each, returnable_lines


def no_return_taken(
    order: Order, lines: Sequence[OrderLine] | None = None
) -> GivenUp | None:
    """Why no return of ``order`` can be taken (its payments cannot take back what
    even one unit left refunds), or None. ``lines``: the order's lines as
    ``returnable_lines`` reads them, when read already (else read, only when some
    payment takes nothing)."""

    def smallest() -> Decimal:
        left = returnable_lines(order) if lines is None else lines
        units = [paid_each(line) for line in left if line.returnable > 0]
        return min(units, default=CENT)

    return given_up_by_erasure(order, smallest=smallest)
