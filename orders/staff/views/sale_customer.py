"""Who is buying at the counter: the customer attached to the sale by phone, email or
loyalty card. Checkout matches (or creates) the profile itself; here the associate
sees whom the identity names today, and is asked before a new profile is made."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from customers.models import IdentityKind
from customers.selectors.profiles import search_customers
from customers.services.matching import reached_by
from omnistore.staff.auth import require_store, staff_required
from omnistore.staff.htmx import INVALID, is_partial
from orders.staff.forms.sale import CustomerForm, DeliveryWaiverForm, PaymentForm
from orders.staff.views.access import region
from orders.staff.views.sale import IDENTITY_FIELD, _basket, _mode, sale_sizes
from orders.staff.views.sale_channel import channel_blockers, on_the_phone
from orders.staff.views.sale_state import (
    CARD_SHOWN,
    CUSTOMER_KEY,
    card_shown,
    drop_waiver,
    not_while_card_waits,
    sale_cart,
)


def customer_preview(store, kind: str, value: str) -> dict:
    """Whom an identity names today, for the associate to confirm; checkout matches
    (or creates) the profile itself."""
    found = search_customers(value, region=region(store), limit=5)
    exact = [c for c in found if getattr(c, IDENTITY_FIELD[kind]) == value]
    match = exact[0] if len(exact) == 1 else (found[0] if len(found) == 1 else None)
    match, unconfirmed = _as_checkout_finds(match, kind, value)
    return {
        "kind": kind,
        "kind_label": dict(CustomerForm.KINDS)[kind],
        "value": value,
        "customer_id": match.pk if match else None,
        "name": (match.full_name or str(match)) if match else "",
        "loyalty_number": match.loyalty_number if match else "",
        "unconfirmed": unconfirmed,
    }


def _as_checkout_finds(match, kind: str, value: str) -> tuple:
    """The profile checkout reaches by this identity (``match`` as searched is
    only shown when it is that one), and whether an account was passed over: its
    address or number, never confirmed by its owner, does not lead to it."""
    reached, passed_over = reached_by(kind, value)
    if passed_over is not None:
        return None, True
    if reached is None:
        return None, match is not None and match.user_id is not None
    return reached, False


def customer_value_form(request) -> PaymentForm:
    """The checkout's payment form for its store credit and points fields alone
    (no total shown), as the sale's customer opens them now (``card_shown``)."""
    return PaymentForm(
        total=Decimal("0.00"),
        remote=on_the_phone(request),
        card_shown=card_shown(request),
    )


@staff_required
@require_POST
@not_while_card_waits
def sale_customer(request):
    """Attach the buyer by phone, email or loyalty card, or detach them. A phone or
    email nobody has is asked about first (a typo would create a stranger's profile),
    unless a name for the new profile came with it; the associate confirms to create
    the profile at checkout. Only a customer attached by their card may pay with
    their points and store credit (``card_shown``)."""
    store = require_store(request)
    status = 200
    ask_new = unconfirmed = False
    before = request.session.get(CUSTOMER_KEY)
    form = CustomerForm(region=region(store))
    if request.POST.get("action") == "detach":
        request.session.pop(CUSTOMER_KEY, None)
    else:
        form = CustomerForm(request.POST, region=region(store))
        if form.is_valid():
            data = form.cleaned_data
            preview = customer_preview(store, data["kind"], data["value"])
            if data["kind"] == IdentityKind.LOYALTY and preview["customer_id"] is None:
                form.add_error("value", "No customer has this loyalty card.")
            elif preview["customer_id"] is None and not (
                request.POST.get("create") or data["first_name"] or data["last_name"]
            ):
                ask_new, unconfirmed = True, preview["unconfirmed"]
            else:
                preview.update(
                    first_name=data["first_name"], last_name=data["last_name"]
                )
                # Scanned or typed from the card: their points and credit open.
                preview[CARD_SHOWN] = data["kind"] == IdentityKind.LOYALTY
                if not preview["name"]:
                    preview["name"] = " ".join(
                        x for x in (data["first_name"], data["last_name"]) if x
                    )
                request.session[CUSTOMER_KEY] = preview
                form = CustomerForm(region=region(store))
        if form.errors:
            status = INVALID
    changed = request.session.get(CUSTOMER_KEY) != before
    # A fee waived for the sale's customer goes with them (the manager read whose
    # sale it was).
    dropped = changed and drop_waiver(request)
    if not is_partial(request):
        if status == INVALID:
            messages.error(request, "Check the customer's details.")
        elif ask_new:
            messages.warning(
                request, "No customer has these details: nothing attached."
            )
        return redirect("staff:sale")
    context = {
        "customer_form": form,
        "sale_customer": request.session.get(CUSTOMER_KEY),
        "sale_sizes": sale_sizes(request),
        "ask_new": ask_new,
        "unconfirmed": unconfirmed,
        "on_the_phone": on_the_phone(request),
    }
    # The checkout's store credit and points follow the customer, out of band
    # (where the checkout takes a payment: not a phone order still to choose how
    # it leaves).
    if changed and not channel_blockers(request, _mode(request)):
        context["customer_value_form"] = customer_value_form(request)
    if dropped:  # the checkout's delivery and total, out of band
        context.update(
            basket=_basket(store, sale_cart(request), request=request),
            waiver_form=DeliveryWaiverForm(),
            fee_charged_again=True,
        )
    return render(request, "orders/staff/_sale_customer.html", context, status=status)
