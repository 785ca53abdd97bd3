"""The receipt of a counter sale: what was paid, the change, how it reaches the
customer, and the code that links the purchase to an online account."""

from __future__ import annotations

from django.shortcuts import render

from customers.services.verification import receipt_claim_code
from omnistore.staff.auth import staff_required
from orders.selectors.till import sale_booking
from orders.staff.views.access import order_or_404
from orders.staff.views.orders import order_parts


@staff_required
def sale_receipt(request, number: str):
    order = order_or_404(number)
    return render(
        request,
        "orders/staff/receipt.html",
        {
            "order": order,
            "till_sale": sale_booking(order),
            "claim_code": receipt_claim_code(order.number),
            **order_parts(order),
        },
    )
