"""Who helped sell a line at the counter: the cashier names the associate on the
sale's basket; checkout writes it on the order line (``OrderLine.helped_by``)."""

from __future__ import annotations

from django.db import transaction

from omnistore.core.channels import Channel
from omnistore.core.digits import is_digits
from omnistore.core.exceptions import Conflict, NotFound, ValidationFailed
from orders.models import Cart, CartLine, CartStatus
from orders.selectors.attribution import shop_associates

from .carts import check_cart_changeable


@transaction.atomic
def set_line_helper(*, cart: Cart, line_id, helper_id, location) -> CartLine:
    """Credit the basket line to ``helper_id`` (an associate of ``location``), or
    to nobody but the cashier with ``None``."""
    if cart.channel != Channel.STORE or cart.status != CartStatus.OPEN:
        raise Conflict("Only an open sale at the counter names who helped.")
    check_cart_changeable(cart)
    line = None
    if is_digits(line_id):
        line = (
            CartLine.objects.select_for_update().filter(cart=cart, pk=line_id).first()
        )
    if line is None:
        raise NotFound("This line is not in the basket.")
    if helper_id is not None and not (
        is_digits(helper_id) and shop_associates(location).filter(pk=helper_id).exists()
    ):
        raise ValidationFailed(
            "Pick an associate of this shop.",
            extra={"helper": ["Not an associate of this shop."]},
        )
    line.helped_by_id = int(helper_id) if helper_id is not None else None
    line.save(update_fields=["helped_by"])
    return line
