"""Exchanges at the returns desk: the returned value pays the replacement."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import render
from django.urls import reverse

from omnistore.core.exceptions import ApplicationError
from omnistore.staff.auth import require_store, staff_required
from omnistore.staff.htmx import INVALID, add_service_error, redirect_to
from orders.selectors.sale import pickup_shops
from orders.selectors.till import open_session_of
from orders.services.exchanges import exchange_items
from orders.staff.forms.returns import ExchangeForm
from orders.staff.statuses import explain
from orders.staff.views.access import order_or_404
from orders.staff.views.returns import start_context
from orders.staff.views.till import device_register


@staff_required
def return_exchange(request, number: str):
    """Swap items: the returned value pays the replacement (taken now or picked up at
    a shop); the customer pays any difference, and what is left stays as their store
    credit. All or nothing."""
    store = require_store(request)
    order = order_or_404(number)
    context = start_context(request, store, order)
    shops = pickup_shops(origin=store)
    lines = context["form"].lines
    form = ExchangeForm(
        request.POST or None,
        lines=lines,
        needs_override=context["outside"],
        shops=shops,
    )
    context["form"] = form
    if request.method != "POST":
        return render(request, "orders/staff/returns/exchange.html", context)
    if form.is_valid():
        data = form.cleaned_data
        try:
            result = exchange_items(
                order=order,
                lines=data["lines"],
                replacement=data["replacement"],
                location=store,
                actor=request.user,
                fulfilment=data["fulfilment"],
                pickup_store=data.get("store"),
                payments=data["payments"],
                override_reason=data.get("override_reason", ""),
                note=data.get("note", ""),
                till=open_session_of(device_register(request, store)),
            )
        except ApplicationError as error:
            add_service_error(form, error, {"replacement": "code_1"}, explain=explain)
        else:
            currency = order.currency
            text = (
                f"Exchange done: return {result.return_request.code}, new order "
                f"{result.order.number}. Store credit used {result.credit_used} "
                f"{currency}"
            )
            if result.paid:
                text += f", paid {result.paid} {currency}"
            if result.credit_left:
                text += f"; {result.credit_left} {currency} left as store credit"
            messages.success(request, text + ".")
            return redirect_to(
                request, reverse("staff:sale_receipt", args=[result.order.number])
            )
    return render(
        request, "orders/staff/returns/exchange.html", context, status=INVALID
    )
