"""The customer page's online cart: what the customer put in their cart on the website
or the app, so that what they started online is finished in the shop.

The card reads the cart and changes nothing in it: the cart stays the customer's, as
it was, also once they pay for those items at the counter. "Add to sale" and "Add
all to sale" hand its items to the sale the way a wishlist's "Sell" does
(``take_into_sale``): the customer comes along, their sale is started or joined, and
a sale in progress for anyone else is left as it is. Any associate may open any
customer's page; a line is found only in the open cart of the customer in the
address, so another customer's line, or one gone from the cart, is 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from customers.models import Customer
from customers.selectors.identities import resolve_customer
from omnistore.core.digits import is_digits
from omnistore.core.exceptions import NotFound
from omnistore.staff.auth import current_store, require_store, staff_required
from orders.selectors.online_cart import online_cart, online_cart_lines
from orders.staff.views.sale_items import take_into_sale
from orders.staff.views.sale_state import not_while_card_waits

# What "Add all to sale" posts as ``line``; otherwise a line's id.
ALL_LINES = "all"
NOTHING_SOLD = (
    "Nothing in the customer's cart is sold any more: nothing was added to the sale."
)


def customer_cart_panel(request, customer: Customer) -> dict | None:
    """The 360° card, only while the customer's cart holds a line: each line with
    its price in the cart's market and the units available at this shop (one query
    without a cart; with one four, five for a market with its own price list,
    however many lines)."""
    cart = online_cart(customer, store=current_store(request))
    if cart is None:
        return None
    return {
        "template": "orders/staff/_customer_cart.html",
        "customer": customer,
        "cart": cart,
        "all_lines": ALL_LINES,
    }


@staff_required
@require_POST
@not_while_card_waits
def sale_take_cart(request, pk: int):
    """A line of the customer's online cart (``line``: its id), or every line still
    sold (``line=all``), into the sale for the customer, with the units in the
    cart; the cart itself is not changed."""
    require_store(request)
    try:
        customer = resolve_customer(pk)
    except NotFound:
        raise Http404("No such customer.") from None
    chosen = request.POST.get("line", "")
    if chosen != ALL_LINES and not is_digits(chosen):
        raise Http404("No such line in the customer's cart.")
    try:
        lines = online_cart_lines(
            customer, line_id=None if chosen == ALL_LINES else int(chosen)
        )
    except NotFound as error:
        raise Http404(error.message) from None
    if not lines:
        messages.error(request, NOTHING_SOLD)
        return redirect("staff:customer_detail", pk=customer.pk)
    return take_into_sale(
        request,
        lines=[(line.variant_id, line.quantity) for line in lines],
        customer=customer,
    )
