"""A card sale at a counter with a terminal: instead of completing at once, the sale
waits for the card on the shop's reader (``orders.services.terminals``)."""

from __future__ import annotations

from omnistore.core.channels import Channel
from omnistore.core.exceptions import ValidationFailed
from orders.payments.registry import CARD_PRESENT_METHODS
from orders.selectors.terminals import shop_terminal
from orders.services.tenders import STORED_VALUE
from orders.services.terminals import CounterSale, start_terminal_payment
from orders.staff.forms.sale import DeliveryForm, PaymentForm, PickupStoreForm


def start_card_payment(
    request,
    store,
    *,
    cart,
    lines: list[tuple[int, int]],
    mode: str,
    forms_: list,
    till=None,
    discount_code: str = "",
    customer: dict | None = None,
    prices: dict | None = None,
    gift_cards: list | None = None,
    helped_by: dict | None = None,
    channel: str = Channel.STORE,
    delivery_waiver=None,
):
    """Send the card's share of the checked-out sale to the shop's terminal; it is
    placed (and booked on the open ``till``) once the card paid. None: no card
    tender, or no terminal here (the card is taken at once, as before)."""
    found = {type(form): form for form in forms_}
    payment = found[PaymentForm]
    tenders = payment.cleaned_data["tenders"]
    device = (
        shop_terminal(location=store)
        if any(t.method in CARD_PRESENT_METHODS for t in tenders)
        else None
    )
    if device is None:
        return None
    if gift_cards:
        raise ValidationFailed(
            "With the card reader, sell the gift card in a sale of its own paid "
            "in cash: the reader's sale carries goods only.",
            code="gift_card_sale_with_terminal",
            extra={"payment": ["Pay a gift card sale in cash here."]},
        )
    if any(t.method in STORED_VALUE for t in tenders):
        raise ValidationFailed(
            "With the card reader, take the gift card, store credit or points as "
            "a sale of its own first: the reader waits on the card alone.",
            code="stored_value_with_terminal",
            extra={"payment": ["Split stored value and the reader's card."]},
        )
    pickup, delivery = found.get(PickupStoreForm), found.get(DeliveryForm)
    sale = CounterSale(
        lines=lines,
        fulfilment=mode,
        tenders=[(t.method, t.amount) for t in tenders],
        pickup_store_id=pickup.cleaned_data["store"].pk if pickup else None,
        address=delivery.address if delivery else None,
        discount_code=discount_code,
        customer=customer or {},
        till_session_id=till.pk if till is not None else None,
        tendered=payment.cleaned_data.get("tendered"),
        prices=prices or {},
        helped_by=helped_by or {},
        channel=channel,
        delivery_waiver=delivery_waiver,
    )
    return start_terminal_payment(
        device=device, cart=cart, sale=sale, staff=request.user
    )
