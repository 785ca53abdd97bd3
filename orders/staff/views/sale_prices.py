"""What the counter takes off a sale: a discount code applied to the basket, and a
price set on one of its lines. Beyond the limits in the settings either waits for a
manager's approval (the approvals panel takes the basket's place, then the same
request is sent again, approved)."""

from __future__ import annotations

from django import forms
from django.http import Http404
from django.views.decorators.http import require_POST

from omnistore.approvals.services.approvals import ApprovalRequired
from omnistore.approvals.views import ask_manager, given_approvals
from omnistore.core.exceptions import ApplicationError, NotFound
from omnistore.staff.auth import require_store, staff_required
from omnistore.staff.fields import MoneyField
from omnistore.staff.htmx import INVALID, field_errors, place_service_error
from orders.services.approvals import guard_counter_discount
from orders.services.counter_prices import set_counter_price
from orders.staff.forms.sale import DiscountForm
from orders.staff.statuses import explain
from orders.staff.views.sale import (
    _basket,
    _preview_discount,
    _render_basket,
)
from orders.staff.views.sale_approvals import DISCOUNT_OFF_KEY, accept_discount
from orders.staff.views.sale_state import (
    AT_THE_COUNTER,
    DISCOUNT_KEY,
    drop_waiver,
    not_while_card_waits,
    sale_cart,
)

BASKET = "basket"


class CounterPriceForm(forms.Form):
    price = MoneyField(label="Price", required=False)
    reason = forms.CharField(label="Why", max_length=250, required=False)


@staff_required
@require_POST
@not_while_card_waits
def sale_discount(request):
    """Apply the customer's discount code to the basket — the amount it takes off and
    the total after it are shown; checkout claims the use — or remove it. A code
    taking more than the limit off needs a manager."""
    store = require_store(request)
    if request.POST.get("action") == "remove":
        request.session.pop(DISCOUNT_KEY, None)
        request.session.pop(DISCOUNT_OFF_KEY, None)
        return _render_basket(request, store)
    form = DiscountForm(request.POST)
    if form.is_valid():
        code = form.cleaned_data["code"]
        cart = sale_cart(request)
        basket = _basket(store, cart)
        subtotal, currency = basket["total"], basket["currency"]
        try:
            discount = _preview_discount(request, code, subtotal, currency)
            guard_counter_discount(
                cart=cart,
                code=code,
                subtotal=subtotal,
                discount=discount,
                currency=currency,
                location=store,
                actor=request.user,
                approvals=given_approvals(request),
            )
        except ApprovalRequired as error:
            return ask_manager(request, error, wrapper_id=BASKET)
        except ApplicationError as error:
            for message in field_errors(error.extra).get("discount_code") or [
                explain(error)
            ]:
                form.add_error("code", message)
        else:
            request.session[DISCOUNT_KEY] = code
            accept_discount(request, subtotal=subtotal, discount=discount)
            return _render_basket(request, store)
    return _render_basket(request, store, discount_form=form, status=INVALID)


@staff_required
@require_POST
@AT_THE_COUNTER
def sale_line_price(request, line_id: int):
    """Sell a line at another price, saying why; an empty price (or "list price")
    puts it back."""
    store = require_store(request)
    cart = sale_cart(request)
    if cart is None:
        raise Http404("No basket.")
    form = CounterPriceForm(request.POST)
    errors: list[str] = []  # on top of the basket
    editor_errors: list[str] = []  # in the line's price editor
    if form.is_valid():
        clear = request.POST.get("action") == "list"
        try:
            set_counter_price(
                cart=cart,
                line_id=line_id,
                price=None if clear else form.cleaned_data["price"],
                reason=form.cleaned_data["reason"],
                actor=request.user,
                location=store,
                approvals=given_approvals(request),
            )
        except ApprovalRequired as error:
            return ask_manager(request, error, wrapper_id=BASKET)
        except NotFound:
            raise Http404("No such line.") from None
        except ApplicationError as error:
            if field_errors(error.extra).keys() & form.fields.keys():
                editor_errors = [explain(error)]
            else:
                errors = place_service_error([], error, explain=explain)
    else:
        editor_errors = [
            f"{form[name].label}: {' '.join(e)}" for name, e in form.errors.items()
        ]
    if not (errors or editor_errors):
        drop_waiver(request)  # other goods than a fee waived was for
        return _render_basket(request, store, cart=cart)
    # A refused price or reason opens the line's editor again with what was typed.
    price_edit = {
        "line_id": line_id,
        "price": request.POST.get("price", ""),
        "reason": request.POST.get("reason", ""),
        "errors": editor_errors,
    }
    return _render_basket(
        request,
        store,
        errors=errors,
        status=INVALID,
        cart=cart,
        price_edit=price_edit,
    )
