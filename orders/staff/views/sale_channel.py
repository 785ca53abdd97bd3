"""A sale taken on the phone: the customer calls the shop and the associate sells from
the sale screen, the order on the phone channel, placed by the shop and the associate.

Nobody stands at the till, so while "Customer on the phone" is on:

- the goods are delivered home or picked up at a shop, never carried out (a sale
  left on "Take now" is asked to choose);
- the customer is attached: they are told when the order ships or is ready;
- they pay with what needs no one present (``PaymentForm`` with ``remote``): a card
  keyed on the shop's terminal, a gift card's number and PIN read out, their store
  credit or points once attached by the loyalty card number they read out
  (``sale_state.card_shown``); cash and a mobile wallet are refused;
- a discount code follows the phone's rules (``orders.services.discounts``: a code
  for online orders is honoured on the phone, one for shops is not).

The choice is kept with the sale in the session (``PHONE_KEY``) and goes with it
when the sale ends.
"""

from __future__ import annotations

from django.contrib import messages
from django.urls import reverse
from django.views.decorators.http import require_POST

from omnistore.core.channels import Channel
from omnistore.core.exceptions import Conflict
from omnistore.staff.auth import require_store, staff_required
from omnistore.staff.htmx import redirect_to
from orders.models import FulfilmentMethod
from orders.services.carts import check_no_card_waiting
from orders.staff.views.sale_state import AT_THE_COUNTER, PHONE_KEY, sale_cart

CHOOSE_HOW_IT_LEAVES = (
    "The customer is on the phone: choose Deliver home or Pick up at a shop."
)


def on_the_phone(request) -> bool:
    return bool(request.session.get(PHONE_KEY))


def sale_channel(request) -> str:
    """The channel the sale is placed and priced on: the phone, or the shop."""
    return Channel.PHONE if on_the_phone(request) else Channel.STORE


def offered_modes(request, modes: dict[str, str]) -> list[tuple[str, str]]:
    """How the goods may leave: every way at the counter; on the phone, not taken
    now."""
    if not on_the_phone(request):
        return list(modes.items())
    return [
        (key, label)
        for key, label in modes.items()
        if key != FulfilmentMethod.CARRY_OUT
    ]


def needs_customer(request, mode: str) -> bool:
    """A delivery, a pickup and any phone order reach their customer."""
    return mode != FulfilmentMethod.CARRY_OUT or on_the_phone(request)


def channel_blockers(request, mode: str) -> list[str]:
    """What the channel refuses before any service is asked: a phone order taken
    now."""
    if on_the_phone(request) and mode == FulfilmentMethod.CARRY_OUT:
        return [CHOOSE_HOW_IT_LEAVES]
    return []


@staff_required
@require_POST
@AT_THE_COUNTER
def sale_phone(request):
    """Turn "Customer on the phone" on (``phone=on``) or off for the sale in
    progress. Not while the card reader has the basket: its sale keeps the channel
    it was started with."""
    require_store(request)
    try:
        check_no_card_waiting(sale_cart(request))
    except Conflict as error:
        messages.error(request, error.message)
        return redirect_to(request, reverse("staff:sale"))
    if request.POST.get("phone") == "on":
        request.session[PHONE_KEY] = True
    else:
        request.session.pop(PHONE_KEY, None)
    return redirect_to(request, reverse("staff:sale"))
