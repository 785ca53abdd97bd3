"""The gift card balance at the counter: the card scanned, its PIN typed; wrong PINs
count against the card and the associate like anywhere else. A card locked after
wrong PINs is unlocked here, at a shop selling in its currency, with the holder: the
card shown and a reason, then its PIN typed right. A manager of the shop types it at
once; an associate first asks a manager (PIN on this device, or their queue) with
the reason alone, and once approved the holder types the PIN here: nothing is said
of the PIN before, and it is never written back into the page."""

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
    PIN_NEEDED,
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
# What the PIN typed once a manager approved may answer: the holder types it (again).
PIN_ANSWERS = {PIN_NEEDED, "gift_card_invalid"}


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
    """The holder's card, its PIN (the proof) and why, for the card's history.
    Prefixed: the balance form on the same page has a number and a PIN. The PIN is
    left out of an associate's ask (typed once a manager approved), so it is not
    required here: the unlock asks for it when its turn comes."""

    prefix = "unlock"
    # The manager's yes the form goes with (``approved``).
    approvals: tuple[int, ...] = ()

    number = forms.CharField(max_length=40, widget=forms.HiddenInput)
    pin = forms.CharField(
        label="PIN, typed by the holder",
        max_length=8,
        required=False,
        widget=forms.PasswordInput(attrs=NUMERIC),
    )
    reason = forms.CharField(
        label="Why unlock",
        max_length=200,
        help_text="E.g. “holder at the counter with the card, mistyped the PIN”.",
    )

    def approved(self, approvals: list[int]) -> None:
        """After the manager's yes: the reason they read stays as it is (kept in
        the form, not typed again), the approval goes with it, the PIN is typed."""
        self.approvals = tuple(approvals)
        self.fields["reason"].widget = forms.HiddenInput()


def _card_context(card) -> dict:
    status = gift_card_status(card)
    return {"card": card, "status": status, "status_label": CARD_STATUS_LABELS[status]}


def _unlock_context(request, number: str, form: UnlockForm | None = None) -> dict:
    """What the page offers for a locked card: the unlock at a shop (a warehouse
    has no holder at its desk), said as the viewer may make it: a manager with the
    PIN at once, an associate asking first (the PIN once approved)."""
    store = current_store(request)
    if store is None or not store.is_shop:
        return {"locked": True}
    form = form or UnlockForm(initial={"number": number})
    return {
        "locked": True,
        "unlock_form": form,
        "unlock_approvals": form.approvals,
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
    """Unlock a card locked after wrong PINs with a reason and the holder's PIN: the
    balance is shown once it is unlocked; a wrong PIN keeps it locked (counted
    against the card's lock and the associate). An associate's ask holds no PIN;
    the manager's yes comes back here and asks the holder for it (200)."""
    store = require_store(request)
    form = UnlockForm(request.POST)
    approvals = given_approvals(request)
    status = INVALID
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
                approvals=approvals,
            )
        except ApprovalRequired as error:
            leave_out = [form["pin"].html_name]
            return ask_manager(request, error, wrapper_id=WRAPPER, leave_out=leave_out)
        except ApplicationError as error:
            if approvals and error.code in PIN_ANSWERS:
                form.approved(approvals)
            if form.approvals and error.code == PIN_NEEDED:
                status = 200  # the manager said yes: now the holder's PIN
            else:
                # An ask without the PIN field says a PIN's refusal on top.
                shown = form.approvals or may_unlock_gift_card(request.user, store)
                add_service_error(form, error, field_only=bool(shown))
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
    return _render(request, context, status=status)
