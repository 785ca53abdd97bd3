"""The order page's *Change delivery address*: a customer calls, a street was typed
wrong. Offered to whoever may cancel the order (``access.acting_order``)."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST

from omnistore.core.exceptions import ApplicationError
from omnistore.staff.auth import current_store, staff_required
from omnistore.staff.htmx import INVALID, add_service_error, is_partial, redirect_to
from orders.services.delivery_address import change_delivery_address
from orders.staff.forms.orders import AddressChangeForm
from orders.staff.statuses import explain
from orders.staff.views.access import acting_order, order_or_404
from orders.staff.views.orders import detail_context


@staff_required
@require_POST
def order_address(request, number: str):
    """The parts not yet left go to the address typed, with the reason, in the
    order's history; the customer is emailed. A field to correct shows on the form;
    a refusal (another country, a parcel gone meanwhile) on the form and, without
    HTMX, on top of the page, which no longer offers the form once nothing is left
    to send elsewhere; nothing changed."""
    order = acting_order(request, number, "address")
    form = AddressChangeForm(request.POST)
    if form.is_valid():
        try:
            changed = change_delivery_address(
                order=order,
                address=form.address,
                actor=request.user,
                reason=form.cleaned_data["reason"],
                location=current_store(request),
            )
        except ApplicationError as error:
            add_service_error(form, error, explain=explain, field_only=True)
        else:
            said = "changed" if changed.updated_at > order.updated_at else "unchanged"
            messages.success(request, f"Order {order.number}: delivery address {said}.")
            return redirect_to(
                request, reverse("staff:order_detail", args=[order.number])
            )
    order = order_or_404(number)
    # A refusal also tops the page: with the parcel gone, the form is not shown.
    refusal = " ".join(form.non_field_errors()) or None
    context = detail_context(request, order, address_form=form, action_error=refusal)
    if is_partial(request):
        return render(
            request, "orders/staff/_address_form.html", context, status=INVALID
        )
    return render(request, "orders/staff/order_detail.html", context, status=INVALID)
