"""Waiving the delivery fee of a sale the shop sends home (a late parcel, a complaint),
from the checkout panel: the associate chooses why; a manager waives at once, an
associate's waiver waits for a manager, who reads whose sale it is and of how much
(the approvals panel takes the checkout's place, then the same request is sent
again, approved). The sale keeps the waiver (``WAIVER_KEY``) until it is paid, and
the amount to pay, the payment form and the card reader leave the fee out alike;
undone, or the sale's customer or lines changed (``drop_waiver``), the fee is
charged again."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from omnistore.approvals.services.approvals import ApprovalRequired
from omnistore.approvals.views import ask_manager, given_approvals
from omnistore.core.exceptions import ApplicationError
from omnistore.staff.auth import require_store, staff_required
from omnistore.staff.htmx import INVALID, add_service_error, is_partial
from orders.models import FulfilmentMethod
from orders.services.delivery_waiver import waive_delivery_fee
from orders.staff.forms.sale import DeliveryForm, DeliveryWaiverForm
from orders.staff.statuses import explain
from orders.staff.views.sale import _basket, _checkout_context, _mode
from orders.staff.views.sale_channel import sale_channel
from orders.staff.views.sale_delivery import delivery_country
from orders.staff.views.sale_state import (
    CUSTOMER_KEY,
    drop_waiver,
    keep_waiver,
    not_while_card_waits,
    sale_cart,
)

CHECKOUT = "sale-checkout"


@staff_required
@require_POST
@not_while_card_waits
def sale_delivery_waiver(request):
    """Waive the delivery fee the checkout shows (``action=undo``: charge it again).
    Posted with the checkout's own fields, so the fee is the one for the address
    typed, and the address is kept when the panel comes back."""
    store = require_store(request)
    mode = _mode(request)
    delivery = DeliveryForm(request.POST) if mode == FulfilmentMethod.DELIVERY else None
    if request.POST.get("action") == "undo":
        drop_waiver(request)
        return _render(request, store, mode, delivery)
    form = DeliveryWaiverForm(request.POST)
    if form.is_valid():
        cart = sale_cart(request)
        country = delivery_country(store, delivery)
        basket = _basket(store, cart, request=request, country=country)
        customer = request.session.get(CUSTOMER_KEY) or {}
        try:
            waiver = waive_delivery_fee(
                cart=cart,
                channel=sale_channel(request),
                method=mode,
                fee=basket["delivery_fee"],
                currency=basket["currency"],
                country=country,
                goods=basket["total"],
                customer_id=customer.get("customer_id"),
                customer=customer.get("name") or customer.get("value", ""),
                reason=form.cleaned_data["reason"],
                actor=request.user,
                location=store,
                approvals=given_approvals(request),
            )
        except ApprovalRequired as error:
            return ask_manager(request, error, wrapper_id=CHECKOUT)
        except ApplicationError as error:
            fields = {"reason": "why"}
            add_service_error(form, error, fields, explain=explain, field_only=True)
        else:
            keep_waiver(request, waiver)
            return _render(request, store, mode, delivery)
    return _render(request, store, mode, delivery, waiver_form=form, status=INVALID)


def _render(request, store, mode, delivery, *, waiver_form=None, status=200):
    """The checkout panel again, with the fee as the sale now pays it and the
    address as typed; a refused waiver's reasons by its fields, and on top of the
    panel what no field takes (the whole sale page, with them all on top, without
    HTMX)."""
    if not is_partial(request):
        for errors in waiver_form.errors.values() if waiver_form else ():
            for error in errors:
                messages.error(request, error)
        return redirect(f"{reverse('staff:sale')}?mode={mode}")
    country = delivery_country(store, delivery)
    basket = _basket(store, sale_cart(request), request=request, country=country)
    context = _checkout_context(
        request,
        store,
        basket,
        mode,
        delivery_form=_as_typed(store, delivery),
        errors=list(waiver_form.non_field_errors()) if waiver_form else [],
    )
    context.update(partial=True, waiver_form=waiver_form or DeliveryWaiverForm())
    return render(request, "orders/staff/_checkout.html", context, status=status)


def _as_typed(store, delivery: DeliveryForm | None) -> DeliveryForm | None:
    """The address form showing what was typed, not judged yet (checkout does)."""
    if delivery is None:
        return None
    typed = {name: delivery.data.get(name) for name in DeliveryForm.base_fields}
    return DeliveryForm(
        initial={"country": store.country, **{k: v for k, v in typed.items() if v}}
    )
