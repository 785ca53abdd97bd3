"""The gift card balance at the counter: the card scanned, its PIN typed; wrong PINs
count against the card and the associate like anywhere else."""

from __future__ import annotations

from django import forms
from django.shortcuts import render

from omnistore.core.exceptions import ApplicationError
from omnistore.staff.auth import staff_required
from omnistore.staff.htmx import INVALID
from orders.selectors.giftcards import CARD_STATUS_LABELS, gift_card_status
from orders.services.giftcards import gift_card_balance

NUMERIC = {"inputmode": "numeric", "autocomplete": "off"}


class BalanceForm(forms.Form):
    number = forms.CharField(
        label="Gift card number (scan or type)",
        max_length=40,
        widget=forms.TextInput(attrs={**NUMERIC, "autofocus": True}),
    )
    pin = forms.CharField(
        label="PIN", max_length=8, widget=forms.PasswordInput(attrs=NUMERIC)
    )


@staff_required
def gift_card_balance_page(request):
    """Check a card's balance; the card is shown masked, with what it is now
    (active, void, or expired once past its date) and its expiry."""
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
            return render(
                request, "orders/staff/gift_card_balance.html", context, status=INVALID
            )
        status = gift_card_status(card)
        context.update(
            card=card,
            status=status,
            status_label=CARD_STATUS_LABELS[status],
            form=BalanceForm(),
        )
    return render(request, "orders/staff/gift_card_balance.html", context)
