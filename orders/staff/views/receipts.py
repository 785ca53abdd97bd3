"""Receipts at the counter: the screen after a sale, the 80 mm print page (a receipt,
a gift receipt, an exchange, a refund), reprinted or sent again by email from any
order. Every rendering comes from one receipt (``orders.selectors.receipts``)."""

from __future__ import annotations

import re

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from customers.services.verification import (
    receipt_claim_code,
    receipt_claims_a_profile,
)
from omnistore.core.exceptions import ApplicationError, NotFound
from omnistore.staff.auth import current_store, require_store, staff_required
from orders.selectors.access import sold_or_fulfilled_here
from orders.selectors.receipts import (
    find_order_for_receipt,
    order_receipt,
    return_receipt,
)
from orders.services.receipts import resend_receipt
from orders.staff.views.access import acting_order
from orders.staff.views.returns import return_or_404

# The token drawn with the order page's "Email receipt" button.
ONCE = re.compile(r"[0-9a-f]{16,64}")


def _order_for_receipt(number: str):
    try:
        return find_order_for_receipt(number=number)
    except NotFound:
        raise Http404("No such order.") from None


def _claim_code(request, order) -> str:
    """The code that links the purchase to an online account is printed by the
    shops that sold or fulfil the order (as its documents are); another shop sees
    the receipt without it."""
    if not sold_or_fulfilled_here(request.user, order):
        return ""
    if not receipt_claims_a_profile(order.customer, order.number):
        return ""  # a walk-in, a login's own order, or a profile it did not make
    return receipt_claim_code(order.number)


@staff_required
def sale_receipt(request, number: str):
    """The screen after a sale: the receipt as it prints, how the goods reach the
    customer, and the way to the next sale."""
    order = _order_for_receipt(number)
    return render(
        request,
        "orders/staff/receipt.html",
        {
            "order": order,
            "receipt": order_receipt(order),
            "claim_code": _claim_code(request, order),
            "fulfilments": list(order.fulfilments.all()),
        },
    )


@staff_required
def receipt_print(request, number: str):
    """The receipt on an 80 mm slip; ``?kind=gift`` leaves the amounts out. An
    order that an exchange paid for prints as the exchange receipt."""
    order = _order_for_receipt(number)
    gift = request.GET.get("kind") == "gift"
    return render(
        request,
        "orders/receipts/print.html",
        {
            "receipt": order_receipt(order, gift=gift),
            "claim_code": "" if gift else _claim_code(request, order),
            "back_url": reverse("staff:order_detail", args=[order.number]),
        },
    )


@staff_required
def return_receipt_print(request, code: str):
    """The return's receipt, for the desks that may open the return itself."""
    ret = return_or_404(request, code, require_store(request))
    try:
        receipt = return_receipt(code=ret.code)
    except NotFound:
        raise Http404("No such return.") from None
    return render(
        request,
        "orders/receipts/print.html",
        {
            "receipt": receipt,
            "claim_code": "",
            "back_url": reverse("staff:return_detail", args=[receipt.return_code]),
        },
    )


@staff_required
@require_POST
def receipt_email(request, number: str):
    """Send the receipt again to the order's address; the answer is a message on
    the order page."""
    order = acting_order(request, number, "documents")
    once = request.POST.get("once", "")
    try:
        sent = resend_receipt(
            order=order,
            actor=request.user,
            location=current_store(request),
            once=once if ONCE.fullmatch(once) else "",
        )
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        if sent:
            messages.success(request, f"Receipt sent again to {order.email}.")
        else:
            messages.info(
                request, f"The receipt is already on its way to {order.email}."
            )
    return redirect("staff:order_detail", order.number)
