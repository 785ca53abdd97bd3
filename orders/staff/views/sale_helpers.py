"""Who helped sell a line: the cashier opens a line's "Helped by" and picks the
associate (the choices load only then, so the basket costs nothing more). Without
one, the line credits the cashier, who is on the order."""

from __future__ import annotations

from django import forms
from django.http import Http404
from django.shortcuts import render

from omnistore.core.exceptions import ApplicationError, NotFound
from omnistore.staff.auth import require_store, staff_required
from omnistore.staff.htmx import INVALID, place_service_error
from orders.models import CartLine
from orders.selectors.attribution import shop_associates
from orders.services.attribution import set_line_helper
from orders.staff.statuses import explain
from orders.staff.views.sale import _render_basket
from orders.staff.views.sale_state import AT_THE_COUNTER, sale_cart


class HelperForm(forms.Form):
    helper = forms.IntegerField(min_value=1, required=False)


def _line(request, line_id: int) -> CartLine:
    cart = sale_cart(request)
    line = cart and CartLine.objects.filter(cart=cart, pk=line_id).first()
    if line is None:
        raise Http404("No such line.")
    return line


@staff_required
@AT_THE_COUNTER
def sale_line_helper(request, line_id: int):
    """GET: the picker for one line; POST: credit the line (empty: the cashier)."""
    store = require_store(request)
    line = _line(request, line_id)
    if request.method != "POST":
        return render(
            request,
            "orders/staff/_helper_picker.html",
            {"line": line, "associates": list(shop_associates(store))},
        )
    form = HelperForm(request.POST)
    errors: list[str] = []
    if form.is_valid():
        try:
            set_line_helper(
                cart=line.cart,
                line_id=line.pk,
                helper_id=form.cleaned_data["helper"],
                location=store,
            )
        except NotFound:
            raise Http404("No such line.") from None
        except ApplicationError as error:
            errors = place_service_error([], error, explain=explain)
    else:
        errors = ["Pick an associate of this shop."]
    return _render_basket(
        request, store, errors=errors, status=INVALID if errors else 200
    )
