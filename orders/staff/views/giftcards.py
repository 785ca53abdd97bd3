"""The gift card balance at the counter: the card scanned, its PIN typed; wrong PINs
count against the card and the associate like anywhere else. A card locked after
wrong PINs is unlocked here, at a shop selling in its currency, with the holder: the
card shown and its PIN typed right, and a reason; a manager of the shop at once, an
associate once a manager approves (PIN on this device, or their queue)."""

from __future__ import annotations

from django import forms
from django.shortcuts import render
from django.views.decorators.http import require_POST

from omnistore.approvals.services.approvals import ApprovalRequired
from omnistore.approvals.views import ask_manager, given_approvals
from omnistore.core.exceptions import ApplicationError
from omnistore.staff.auth import current_store, require_store, shop_only, staff_required
from omnistore.staff.htmx import INVALID, add_service_error, is_partial
from orders.selectors.giftcards import CARD_STATUS_LABELS, gift_card_status
from orders.services.giftcard_unlock import (
    may_unlock_gift_card,
    unlock_card_at_counter,
)
from orders.services.giftcards import gift_card_balance

NUMERIC = {"inputmode": "numeric", "autocomplete": "off"}
PAGE = "orders/staff/gift_card_balance.html"
PART = "orders/staff/_gift_card_balance.html"
# The element the page's card section is, swapped by the unlock and its approval.
WRAPPER = "gift-card-balance"
LOCKED = "gift_card_locked"


class BalanceForm(forms.Form):
    number = forms.CharField(
        label="Gift card number (scan or type)",
        max_length=40,
        widget=forms.TextInput(attrs={**NUMERIC, "autofocus": True}),
    )
    pin = forms.CharField(
        label="PIN", max_length=8, widget=forms.PasswordInput(attrs=NUMERIC)
    )


class UnlockForm(forms.Form):
    """The holder's card, its PIN typed again (the proof) and why, for the card's
    history. Prefixed: the balance form on the same page has a number and a PIN."""

    prefix = "unlock"

    number = forms.CharField(max_length=40, widget=forms.HiddenInput)
    pin = forms.CharField(
        label="PIN, typed by the holder",
        max_length=8,
        widget=forms.PasswordInput(attrs=NUMERIC),
    )
    reason = forms.CharField(
        label="Why unlock",
        max_length=200,
        help_text="E.g. “holder at the counter with the card, mistyped the PIN”.",
    )


def _card_context(card) -> dict:
    status = gift_card_status(card)
    return {"card": card, "status": status, "status_label": CARD_STATUS_LABELS[status]}


def _unlock_context(request, number: str, form: UnlockForm | None = None) -> dict:
    """What the page offers for a locked card: the unlock at a shop (a warehouse
    has no holder at its desk), said as the viewer may make it."""
    store = current_store(request)
    if store is None or not store.is_shop:
        return {"locked": True}
    return {
        "locked": True,
        "unlock_form": form or UnlockForm(initial={"number": number}),
        "may_unlock": may_unlock_gift_card(request.user, store),
    }


def _render(request, context: dict, status: int = 200):
    template = PART if is_partial(request) else PAGE
    return render(request, template, {"wrapper_id": WRAPPER, **context}, status=status)


@staff_required
def gift_card_balance_page(request):
    """Check a card's balance; the card is shown masked, with what it is now
    (active, void, or expired once past its date) and its expiry. A card found
    locked offers its unlock."""
    form = BalanceForm(request.POST or None)
    context = {"form": form, "card": None, "error": ""}
    if request.method == "POST" and form.is_valid():
        try:
            card = gift_card_balance(
                number=form.cleaned_data["number"],
                pin=form.cleaned_data["pin"],
                caller=f"user:{request.user.pk}",
            )
        except ApplicationError as error:
            context["error"] = error.message
            if error.code == LOCKED:
                number = form.cleaned_data["number"]
                context.update(_unlock_context(request, number))
            return _render(request, context, status=INVALID)
        context.update(_card_context(card), form=BalanceForm())
    return _render(request, context)


@staff_required
@require_POST
@shop_only("Unlocking a gift card")
def gift_card_unlock(request):
    """Unlock a card locked after wrong PINs with the holder's PIN and a reason:
    the balance is shown once it is unlocked; a wrong PIN keeps it locked (and
    counts against the associate as at any check)."""
    store = require_store(request)
    form = UnlockForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            card = unlock_card_at_counter(
                number=data["number"],
                pin=data["pin"],
                reason=data["reason"],
                actor=request.user,
                location=store,
                caller=f"user:{request.user.pk}",
                approvals=given_approvals(request),
            )
        except ApprovalRequired as error:
            return ask_manager(request, error, wrapper_id=WRAPPER)
        except ApplicationError as error:
            add_service_error(form, error, field_only=True)
        else:
            context = {"form": BalanceForm(), "unlocked": True, **_card_context(card)}
            return _render(request, context)
    number = form["number"].value() or ""
    context = {
        "form": BalanceForm(initial={"number": number}),
        "card": None,
        "error": "",
        **_unlock_context(request, number, form),
    }
    return _render(request, context, status=INVALID)
