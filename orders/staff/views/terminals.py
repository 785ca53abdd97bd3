"""The counter waiting for the card: the panel that polls the shop's terminal, the
cancel button, and the simulated reader's approve / decline controls.

The sale is placed by ``orders.services.terminals`` when the card paid, whoever
delivers the result (this poll, the terminal's webhook, the simulator); this screen
follows the intent and ends on the receipt or back at the basket.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST

from omnistore.core.channels import Channel
from omnistore.core.exceptions import ApplicationError
from omnistore.staff.auth import require_store, staff_required
from omnistore.staff.htmx import is_partial, redirect_to
from orders.models import TerminalIntent, TerminalIntentStatus
from orders.selectors.terminals import intent_at
from orders.services.terminals import (
    SOURCE_SIMULATOR,
    CounterSale,
    cancel_terminal_intent,
    refresh_terminal_intent,
    settle_terminal_intent,
)
from orders.staff.views.sale_state import CART_KEY, TERMINAL_KEY, end_sale
from orders.terminals import get_terminal_provider

# What the associate reads back at the basket when the card did not pay.
ENDINGS = {
    TerminalIntentStatus.DECLINED: "The card was declined",
    TerminalIntentStatus.CANCELLED: "The card payment was cancelled",
    TerminalIntentStatus.TIMED_OUT: "No card was presented in time",
    TerminalIntentStatus.REVERSED: "The card paid but the sale was refused and the "
    "payment given back",
}

# The simulated reader's buttons.
SIMULATED = {
    "approve": (TerminalIntentStatus.SUCCEEDED, "Approved"),
    "decline": (TerminalIntentStatus.DECLINED, "Do not honour"),
}


def _intent_or_404(request, reference: str) -> TerminalIntent:
    intent = intent_at(reference=reference, location=require_store(request))
    if intent is None:
        raise Http404("No such card payment at this shop.")
    return intent


def _follow(request, intent: TerminalIntent):
    """Where the counter goes now: the waiting panel while the card is out, the
    receipt once the sale is placed, else the basket with what happened."""
    if not intent.waiting and request.session.get(TERMINAL_KEY) == intent.reference:
        request.session.pop(TERMINAL_KEY)
    if intent.status == TerminalIntentStatus.COMPLETED:
        if request.session.get(CART_KEY) == intent.cart.token:
            end_sale(request)
        return redirect_to(
            request, reverse("staff:sale_receipt", args=[intent.order.number])
        )
    if intent.status in ENDINGS:
        detail = f" ({intent.message})" if intent.message else ""
        messages.error(
            request,
            f"{ENDINGS[intent.status]}{detail}. Nothing was sold: the basket is as it "
            "was.",
        )
        return redirect_to(request, reverse("staff:sale"))
    context = {
        "intent": intent,
        "store": intent.location,
        "simulated": get_terminal_provider(intent.provider).simulated,
        "poll_seconds": settings.OMNISTORE_TERMINAL_POLL_SECONDS,
        "on_the_phone": CounterSale.from_json(intent.sale).channel == Channel.PHONE,
    }
    if is_partial(request):
        return render(request, "orders/staff/_terminal.html", context)
    return render(request, "orders/staff/terminal.html", context)


@staff_required
def sale_terminal(request, reference: str):
    """The waiting screen, and what its poll asks every second."""
    intent = _intent_or_404(request, reference)
    intent = refresh_terminal_intent(intent=intent, actor=request.user)
    return _follow(request, intent)


@staff_required
@require_POST
def sale_terminal_cancel(request, reference: str):
    intent = _intent_or_404(request, reference)
    intent = cancel_terminal_intent(intent=intent, actor=request.user)
    return _follow(request, intent)


@staff_required
@require_POST
def sale_terminal_simulate(request, reference: str):
    """The simulated reader's result, delivered as a terminal's webhook would be;
    not found for a real reader."""
    intent = _intent_or_404(request, reference)
    choice = SIMULATED.get(request.POST.get("outcome", ""))
    if choice is None or not get_terminal_provider(intent.provider).simulated:
        raise Http404("No simulated reader here.")
    status, message = choice
    try:
        intent = settle_terminal_intent(
            intent=intent,
            status=status,
            message=message,
            source=SOURCE_SIMULATOR,
            actor=request.user,
        )
    except ApplicationError as error:  # pragma: no cover - the statuses are fixed
        messages.error(request, error.message)
    return _follow(request, intent)
