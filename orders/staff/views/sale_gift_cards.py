"""Gift cards sold at the counter: the associate scans a pre-printed card, types the
PIN under its scratch strip and the amount; the card goes into the sale and is
activated when the sale is paid (``orders.services.giftcard_sales``). Only the PIN's
hash is kept in the session."""

from __future__ import annotations

from django.http import Http404
from django.views.decorators.http import require_POST

from omnistore.core.exceptions import ApplicationError
from omnistore.staff.auth import require_store, staff_required
from omnistore.staff.htmx import INVALID, add_service_error
from orders.services.giftcard_sales import prepare_card_sale
from orders.staff.forms.sale import GiftCardSaleForm
from orders.staff.statuses import explain
from orders.staff.views.sale import render_basket
from orders.staff.views.sale_state import (
    GIFT_CARDS_KEY,
    not_while_card_waits,
    sale_cart,
    sale_gift_cards,
)


@staff_required
@require_POST
@not_while_card_waits
def sale_gift_card_add(request):
    """One gift card into the sale, with its amount."""
    store = require_store(request)
    form = GiftCardSaleForm(request.POST)
    if form.is_valid():
        selling = sale_gift_cards(request)
        try:
            card = prepare_card_sale(**form.cleaned_data, selling=selling)
        except ApplicationError as error:
            add_service_error(form, error, explain=explain)
        else:
            request.session[GIFT_CARDS_KEY] = [
                sale.as_dict() for sale in [*selling, card]
            ]
            # The basket's token keys the sale, so a double submit places it once.
            return render_basket(request, store, cart=sale_cart(request, create=True))
    errors = [f"Gift card: {e}" for field in form.errors.values() for e in field]
    return render_basket(
        request, store, errors=errors, status=INVALID, gift_card_open=True
    )


@staff_required
@require_POST
@not_while_card_waits
def sale_gift_card_remove(request, index: int):
    """Take a gift card back out of the sale (nothing was activated yet)."""
    store = require_store(request)
    selling = sale_gift_cards(request)
    if not 0 <= index < len(selling):
        raise Http404("No such gift card in the sale.")
    del selling[index]
    request.session[GIFT_CARDS_KEY] = [sale.as_dict() for sale in selling]
    return render_basket(request, store)
