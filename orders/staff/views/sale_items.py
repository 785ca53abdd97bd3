"""The sale from the other counter screens, and several sales at once.

- An item page or a wishlist hands an item to the sale (``sale_take``): taken now, or
  ordered for the customer (delivered home, the endless aisle); a wishlist's "Sell"
  brings its customer along, so the associate does not look them up again. It starts
  that customer's sale or adds to the one already theirs; a sale holding items for
  anyone else is left alone (finished, parked or cleared first). The customer
  page's online cart hands its items over the same way (``take_into_sale``). Each
  of those buttons carries a sent-once token: a double tap adds the item once.
- A sale can be parked while the next customer is served, and resumed later
  (``sale_park``, ``sale_resume``): the basket, the customer, how it leaves, the
  discount code and a waived delivery fee are kept in the session; a sale waiting
  on the card terminal cannot be parked. Only a sale with something to sell is
  parked (a way of leaving or a customer chosen alone is not), and at most
  ``PARKED_MAX`` wait at once: one more is refused, never pushing another out.
- A sale holding items, in progress or parked, keeps the device at its shop
  (``sale_keeps_the_shop``): its prices are that shop's market's.
- Signing out ends the session, and every sale kept in it: while one is in
  progress or parked, the header's Sign out asks first (``sales_dropped_on_sign_out``).
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.shortcuts import redirect
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from customers.models import Customer, IdentityKind
from customers.selectors.identities import resolve_customer
from omnistore.core.exceptions import ApplicationError, NotFound
from omnistore.staff.auth import require_store, staff_required
from omnistore.staff.context_processors import sign_out_warnings
from omnistore.staff.once import SentOnceForm, claim, give_back
from omnistore.staff.panels import register
from omnistore.staff.views import store_switch_guards
from orders.models import FulfilmentMethod
from orders.services.carts import add_cart_lines
from orders.staff.forms.sale import CustomerForm, ScanForm
from orders.staff.statuses import explain
from orders.staff.views.sale_approvals import DISCOUNT_OFF_KEY
from orders.staff.views.sale_state import (
    CART_KEY,
    CUSTOMER_KEY,
    DISCOUNT_KEY,
    GIFT_CARDS_KEY,
    MODE_KEY,
    PHONE_KEY,
    TERMINAL_KEY,
    WAIVER_KEY,
    drop_waiver,
    end_sale,
    not_while_card_waits,
    sale_cart,
    sale_holds_items,
)

PARKED_KEY = "sale_parked"
ALREADY_TAKEN = "These items are already in the sale: the form was sent twice."
PARKED_MAX = 5
KEPT = (
    CART_KEY,
    CUSTOMER_KEY,
    MODE_KEY,
    DISCOUNT_KEY,
    DISCOUNT_OFF_KEY,
    GIFT_CARDS_KEY,
    PHONE_KEY,
    WAIVER_KEY,
)


def _wishlist_customer(customer_id: str) -> Customer | None:
    """The profile whose wishlist an item comes from (``customer``), if any."""
    if not customer_id:
        return None
    try:
        return resolve_customer(int(customer_id))
    except (NotFound, ValueError):
        return None


def _for_someone_else(request, customer: Customer) -> str:
    """Why an item of ``customer``'s wishlist cannot go into the sale in progress:
    its basket already holds items for another buyer (another customer attached, or
    none); taking it would put that basket, its points and its payment on
    ``customer``. "" when the sale is empty or already theirs."""
    attached = request.session.get(CUSTOMER_KEY) or {}
    if attached.get("customer_id") == customer.pk or not sale_holds_items(
        request.session
    ):
        return ""
    name = customer.full_name or str(customer)
    if attached:
        who = attached.get("name") or attached.get("value")
        return (
            f"Finish, park or clear the sale for {who} first: nothing was added "
            f"for {name}."
        )
    return (
        "Finish, park or clear the sale in progress first (it has items and no "
        f"customer), or attach {name} to it: nothing was added."
    )


def _attach(request, customer: Customer) -> None:
    """The customer on the sale by their loyalty card number: checkout finds the
    same profile, and the associate sees who it is. No card was shown, so their
    points and store credit stay closed until it is scanned (``card_shown``). A sale
    already theirs keeps them as they were attached (their card shown stays shown)."""
    if customer.is_anonymised:
        messages.error(request, "This profile was erased: the sale has no customer.")
        return
    attached = request.session.get(CUSTOMER_KEY) or {}
    if attached.get("customer_id") == customer.pk:
        return
    request.session[CUSTOMER_KEY] = {
        "kind": IdentityKind.LOYALTY,
        "kind_label": dict(CustomerForm.KINDS)[IdentityKind.LOYALTY],
        "value": customer.loyalty_number,
        "customer_id": customer.pk,
        "name": customer.full_name or str(customer),
        "loyalty_number": customer.loyalty_number,
        "first_name": "",
        "last_name": "",
    }


@staff_required
@require_POST
@not_while_card_waits
def sale_take(request):
    """One item into the sale from another screen; ``mode=order`` sends it home.
    From a wishlist (``customer``) it starts that customer's sale, or joins the one
    already theirs; a sale in progress for anyone else is left as it is. A button's
    ``once`` token is taken once (given back when the sale refuses the item); a
    POST without one adds as a scan does."""
    require_store(request)
    form = ScanForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("staff:sale")
    token = SentOnceForm(request.POST)
    if token.is_valid() and not claim(request, token):  # the same tap again
        messages.info(request, ALREADY_TAKEN)
        return redirect(_sale_url(request.POST.get("mode", "")))
    return take_into_sale(
        request,
        lines=[(form.cleaned_data["code"].pk, form.cleaned_data["quantity"])],
        customer=_wishlist_customer(request.POST.get("customer", "")),
        mode=request.POST.get("mode", ""),
        refused=lambda: give_back(request, token),
    )


def take_into_sale(
    request,
    *,
    lines: list[tuple[int, int]],
    customer: Customer | None,
    mode: str = "",
    refused: Callable[[], None] | None = None,
):
    """Items (variant id, units) from another screen into the sale, then the sale:
    for ``customer`` it starts their sale or joins the one already theirs, a sale
    in progress for anyone else left as it is; all the items or none. ``mode``
    "order" sends them home. ``refused`` is called when nothing was added (a
    sent-once form gives its token back, so the same form may be sent again)."""
    refusal = _for_someone_else(request, customer) if customer else ""
    if not refusal:
        try:
            add_cart_lines(cart=sale_cart(request, create=True), lines=lines)
        except ApplicationError as error:
            refusal = explain(error)
    if refusal:
        messages.error(request, refusal)
        if refused is not None:
            refused()
        return redirect("staff:sale")
    drop_waiver(request)  # other goods than a fee waived was for
    if customer is not None:
        _attach(request, customer)
    return redirect(_sale_url(mode))


def _sale_url(mode: str) -> str:
    """The sale page, on "Deliver home" for an item ordered for the customer."""
    url = reverse("staff:sale")
    if mode == "order":
        url += f"?mode={FulfilmentMethod.DELIVERY}"
    return url


def parked_sales(request) -> list[dict]:
    return list(request.session.get(PARKED_KEY, []))


def _label(request) -> str:
    customer = request.session.get(CUSTOMER_KEY) or {}
    when = timezone.localtime().strftime("%H:%M")
    return f"{customer.get('name') or 'Walk-in customer'} · {when}"


NOTHING_TO_PARK = "Nothing to park: the sale has no items yet."
PARKED_FULL = (
    f"Resume or clear a parked sale first: {PARKED_MAX} sales are parked, the most "
    "kept at once. This sale is still in progress."
)


def _park_current(request, parked: list[dict]) -> str:
    """The sale in progress onto ``parked``, the parked list; "" once parked,
    else why not, the sale left as it is. A sale is worth coming back to only with
    something to sell (``sale_holds_items``: a line or a gift card): a way of
    leaving, a customer or a code chosen alone is not parked. A full list refuses
    rather than dropping a sale parked before, and its waived fee, without a word."""
    if not sale_holds_items(request.session):
        return NOTHING_TO_PARK
    if len(parked) >= PARKED_MAX:
        return PARKED_FULL
    entry = {key: request.session.get(key) for key in KEPT}
    entry["label"] = _label(request)
    request.session[PARKED_KEY] = [*parked, entry]
    end_sale(request)
    return ""


@staff_required
@require_POST
@not_while_card_waits
def sale_park(request):
    """Put this sale aside and start the next customer's."""
    require_store(request)
    if request.session.get(TERMINAL_KEY):
        messages.error(request, "The card terminal is waiting: finish that first.")
        return redirect("staff:sale")
    refusal = _park_current(request, parked_sales(request))
    if refusal:
        messages.error(request, refusal)
    else:
        messages.success(request, "Sale parked: resume it from the list below.")
    return redirect("staff:sale")


@staff_required
@require_POST
@not_while_card_waits
def sale_resume(request, index: int):
    """Bring a parked sale back; the one in progress is parked in its place (the
    room the resumed one leaves), or, with nothing to sell, dropped so that its
    customer or way of leaving does not cling to the one resumed."""
    require_store(request)
    parked = parked_sales(request)
    if request.session.get(TERMINAL_KEY) or not 0 <= index < len(parked):
        messages.error(request, "That sale cannot be resumed now.")
        return redirect("staff:sale")
    entry = parked.pop(index)
    refusal = _park_current(request, parked)
    if refusal == PARKED_FULL:  # never at the cost of the sale in progress
        messages.error(request, refusal)
        return redirect("staff:sale")
    if refusal:
        request.session[PARKED_KEY] = parked
        drop_waiver(request)
        end_sale(request)
    for key in KEPT:
        if entry.get(key):
            request.session[key] = entry[key]
    messages.success(request, f"Resumed: {entry['label']}.")
    return redirect("staff:sale")


def sale_keeps_the_shop(request, shop) -> str:
    """A sale is priced in its shop's market (shelf prices, counter prices and
    their currency): while one holds items, in progress or parked, the device stays
    at that shop. A device left at a warehouse, where no sale is made, may go."""
    if shop is not None and not shop.is_shop:
        return ""  # left at a warehouse (its shop closed): nothing is sold here
    where = shop.name if shop is not None else "this shop"
    if sale_holds_items(request.session):
        return f"Finish or clear the sale at {where} first: its prices are that shop's."
    if any(sale_holds_items(entry) for entry in parked_sales(request)):
        return (
            f"Finish or clear the parked sales at {where} first: their prices are "
            "that shop's."
        )
    return ""


register(store_switch_guards, sale_keeps_the_shop)


def sales_dropped_on_sign_out(request) -> str:
    """What signing out drops of this device's sales: they live in its session.
    Read from the session alone, as the header asks on every page: a sale is in
    progress once its basket was started or a gift card added (a basket since
    emptied line by line still counts: asked once too often, never too seldom)."""
    current = bool(request.session.get(CART_KEY) or request.session.get(GIFT_CARDS_KEY))
    parked = len(parked_sales(request))
    if not parked:
        return "The sale in progress is dropped when you sign out." if current else ""
    sales = f"{parked} parked sale{pluralize(parked)}"
    if current:
        return f"A sale in progress and {sales} are dropped when you sign out."
    return f"{sales} {pluralize(parked, 'is,are')} dropped when you sign out."


register(sign_out_warnings, sales_dropped_on_sign_out)
