"""The customer page's online cart: what the customer put in their cart on the website
or the app, so that what they started online is finished in the shop.

The card reads the cart and changes nothing in it: the cart stays the customer's, as
it was, also once they pay for those items at the counter. "Add to sale" and "Add
all to sale" hand its items to the sale the way a wishlist's "Sell" does
(``take_into_sale``): the customer comes along, their sale is started or joined, and
a sale in progress for anyone else is left as it is. Any associate may open any
customer's page; a line is found only in the open cart of the customer in the
address, so another customer's line, or one gone from the cart, is 404.

Each of the card's forms carries a sent-once token (``omnistore.staff.once``): the
same form sent again (a double tap, a resent request) adds nothing more and says
the items are already in the sale. An erased profile shows no card and sells
nothing from it: the sale would have no customer to carry them for.
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
from omnistore.staff.once import SentOnceForm, claim, give_back, new_token
from orders.selectors.carts import open_cart_lines
from orders.selectors.online_cart import online_cart, online_cart_lines
from orders.staff.views.sale_items import ALREADY_TAKEN, take_into_sale
from orders.staff.views.sale_state import not_while_card_waits

# What "Add all to sale" posts as ``line``; otherwise a line's id.
ALL_LINES = "all"
NOTHING_SOLD = (
    "Nothing in the customer's cart is sold any more: nothing was added to the sale."
)
CART_GONE = (
    "The customer's cart is empty now: checked out or emptied online. Nothing was "
    "added to the sale."
)
ERASED = "This profile was erased: nothing was added to the sale from its cart."


def customer_cart_panel(request, customer: Customer) -> dict | None:
    """The 360° card, only while the customer's cart holds a line and the profile
    is not erased: each line with its price in the cart's market and the units
    available at this shop, and each form its own sent-once token (one query without
    a cart; with one four, five for a market with its own price list, however many
    lines)."""
    if customer.is_anonymised:
        return None
    cart = online_cart(customer, store=current_store(request))
    if cart is None:
        return None
    return {
        "template": "orders/staff/_customer_cart.html",
        "customer": customer,
        "cart": cart,
        "rows": [(row, new_token()) for row in cart.lines],
        "all_lines": ALL_LINES,
        "all_once": new_token(),
    }


@staff_required
@require_POST
@not_while_card_waits
def sale_take_cart(request, pk: int):
    """A line of the customer's online cart (``line``: its id), or every line still
    sold (``line=all``), into the sale for the customer, with the units in the
    cart; the cart itself is not changed. The form's ``once`` token is claimed
    before the items go in, and given back when the sale refuses them."""
    require_store(request)
    try:
        customer = resolve_customer(pk)
    except NotFound:
        raise Http404("No such customer.") from None
    chosen = request.POST.get("line", "")
    if chosen != ALL_LINES and not is_digits(chosen):
        raise Http404("No such line in the customer's cart.")
    if customer.is_anonymised:
        messages.error(request, ERASED)
        return redirect("staff:customer_detail", pk=customer.pk)
    try:
        lines = online_cart_lines(
            customer, line_id=None if chosen == ALL_LINES else int(chosen)
        )
    except NotFound as error:
        raise Http404(error.message) from None
    if not lines:  # every line no longer sold, or none left in the cart
        still_held = open_cart_lines(customer=customer)
        messages.error(request, NOTHING_SOLD if still_held else CART_GONE)
        return redirect("staff:customer_detail", pk=customer.pk)
    token = SentOnceForm(request.POST)
    if token.is_valid() and not claim(request, token):
        messages.info(request, ALREADY_TAKEN)
        return redirect("staff:sale")
    return take_into_sale(
        request,
        lines=[(line.variant_id, line.quantity) for line in lines],
        customer=customer,
        refused=lambda: give_back(request, token),
    )
