"""What the staff screens say about order statuses: their labels and a refusal in the
shop floor's words. Which moves an order may make is the fulfilment services' table
(``orders.services.fulfilment.can_move``)."""

from __future__ import annotations

from omnistore.core.exceptions import (
    ApplicationError,
    IllegalTransition,
    InsufficientStock,
)
from orders.models import OrderStatus

STATUS_LABELS = dict(OrderStatus.choices)
# Statuses whose goods the customer has: they come back as a return, not a cancel.
HANDED_OVER = frozenset(
    {OrderStatus.COMPLETED, OrderStatus.COLLECTED, OrderStatus.DELIVERED}
)
TAKE_BACK = (
    " The customer has the goods: take them back at the returns desk (Returns), "
    "which refunds them."
)


def explain(error: ApplicationError) -> str:
    """A refusal in the words of the shop floor."""
    if isinstance(error, InsufficientStock):
        return shortage_message(error)
    if isinstance(error, IllegalTransition):
        if not error.obj.startswith("Order"):  # a return, a transfer: said by name
            return f"Not possible now: {error.message}"
        current = str(
            STATUS_LABELS.get(error.extra.get("from"), error.extra.get("from"))
        )
        target = str(STATUS_LABELS.get(error.extra.get("to"), error.extra.get("to")))
        said = (
            f"Not possible now: the order is {current.lower()} and cannot become "
            f"{target.lower()}."
        )
        if (
            error.extra.get("from") in HANDED_OVER
            and error.extra.get("to") == OrderStatus.CANCELLED
        ):
            said += TAKE_BACK
        return said
    return error.message


def shortage_message(error: InsufficientStock) -> str:
    short = "; ".join(
        f"{line.get('sku') or line.get('variant_id')}: {line.get('requested')} asked, "
        f"{line.get('available')} available"
        for line in error.lines
    )
    return f"Not enough stock — nothing was sold or reserved. {short}."
