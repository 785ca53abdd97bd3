"""What a manager approved on a counter sale holds the sale to, until it is paid:
a discount code takes no larger share of the basket and no larger amount than when
it was applied, and a line sold at a counter price has no more units than its
approval covered; a delivery fee waived covers no larger fee. A basket grown past
any of them is stopped at checkout with the reason; applying the code, setting the
price or waiving the fee again asks a manager anew."""

from __future__ import annotations

from decimal import Decimal

from orders.services.approvals import (
    accepted_discount,
    counter_discount_grew,
    counter_prices_outgrown,
)

# What the code took off (share and amount) when applied: more at checkout asks again.
DISCOUNT_OFF_KEY = "sale_discount_off"


def accept_discount(request, *, subtotal: Decimal, discount: Decimal) -> None:
    """The code applied (approved, or under the limit): what it takes off now."""
    request.session[DISCOUNT_OFF_KEY] = accepted_discount(
        subtotal=subtotal, discount=discount
    )


def outgrown_approvals(request, store, basket: dict) -> list[str]:
    """Why the basket may not be paid as it is: lines whose counter price covers
    fewer units, a code now taking more off than when it was applied, a delivery
    fee larger than the one waived (``with_delivery``)."""
    errors = counter_prices_outgrown(
        lines=[(r.line, r.price) for r in basket["rows"] if r.price is not None],
        currency=basket["currency"],
        actor=request.user,
        location=store,
    )
    grown = counter_discount_grew(
        subtotal=basket["total"],
        discount=basket["discount"],
        accepted=request.session.get(DISCOUNT_OFF_KEY),
        currency=basket["currency"],
        actor=request.user,
        location=store,
    )
    return errors + [text for text in (grown, basket.get("waiver_outgrown")) if text]
