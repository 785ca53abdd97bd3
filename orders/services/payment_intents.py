"""The storefront's payment, started before checkout: a PaymentIntent for the cart.

The amount and currency come from the checkout's own pricing (``prepare_checkout``:
the cart's lines, the discount code, where the order goes), never from the browser.
The intent is for the card's share only: the gift cards, store credit and points
the checkout will be sent with (``tenders``) pay first, and the card what they leave,
as ``check_payments`` splits it at checkout; tenders that pay it all need no intent.
They are checked first as checkout will spend them (the PIN, the balances, the points
spendable now), and nothing is taken: a card charged for what a refused tender leaves
would pay for no order.
A pickup, or a parcel a shop sends, is only authorised (``capture_method`` manual)
and captured at handover or shipment, as checkout does (``captures_at_checkout``).
The intent names its cart: checkout takes it for that cart only, and only when the
provider confirms its amount, currency and status.

The provider's idempotency key names the cart, the amount and the capture method
(and the client's ``Idempotency-Key`` when sent): asking again for an unchanged
cart answers the same intent, a changed cart gets a new one.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from customers.models import Customer
from omnistore.core.exceptions import ValidationFailed
from orders.models import PaymentMethod
from orders.payments.base import IntentResult
from orders.payments.registry import get_provider

from .checkout import CheckoutRequest, LineRequest, prepare_checkout
from .payments import PaymentRequest, captures_at_checkout
from .placing import Checkout, cart_reference
from .storefront import cart_to_check_out, refuse_empty_cart
from .tenders import check_stored_value_tenders


def start_cart_payment(
    *,
    customer: Customer | None,
    token: str,
    checkout: CheckoutRequest,
    tenders: Sequence[PaymentRequest] = (),
    caller: str = "",
) -> IntentResult:
    """A payment intent for the cart of the signed-in ``customer`` (or of ``token``)
    as it would check out now with ``tenders``: for what they leave to pay. Refused
    for an empty or converted cart, for an order that costs nothing, for tenders
    checkout would refuse (``caller``: who asks, counted for wrong gift card PINs as
    at checkout) and when the tenders pay it all."""
    cart, lines = cart_to_check_out(
        customer=customer, token=token, channel=checkout.channel
    )
    if not lines:
        refuse_empty_cart(cart)
    # The client's key is checked as a checkout checks it (at most 100 characters)
    # and goes into the intent's own key below.
    priced = prepare_checkout(
        lines=[LineRequest(line.variant, line.quantity) for line in lines],
        customer=customer,
        payments=[*tenders, PaymentRequest(method=PaymentMethod.CARD_ONLINE)],
        cart=cart,
        now=timezone.now(),
        **checkout.arguments(),
    )
    currency = priced.currency or settings.OMNISTORE_CURRENCY  # the sale's market
    amount = _card_share(priced, currency=currency, caller=caller)
    capture = captures_at_checkout(
        checkout.fulfilment, (leg.location for leg in priced.legs)
    )
    reference = cart_reference(cart)
    key = ":".join(
        part
        for part in (
            reference,
            f"{amount}{currency}",
            "automatic" if capture else "manual",
            priced.idempotency_key,
        )
        if part
    )
    return get_provider().create_intent(
        amount=amount,
        currency=currency,
        capture=capture,
        idempotency_key=key,
        cart_reference=reference,
    )


def _card_share(priced: Checkout, *, currency: str, caller: str) -> Decimal:
    """What the card pays of the priced checkout: the rest its tenders leave. No card
    is held for tenders checkout would refuse (a guest's store credit and points, a
    wrong gift card PIN, a short balance, points not spendable yet): the card would
    be charged and the order refused. Nothing to pay, or tenders paying it all, need
    no intent."""
    if priced.total <= 0:
        raise ValidationFailed(
            "The order costs nothing: check out without a payment.",
            code="nothing_to_pay",
        )
    check_stored_value_tenders(
        priced, priced.customer, currency=currency, caller=caller
    )
    card = [p for p in priced.payments if p.method == PaymentMethod.CARD_ONLINE]
    if not card:
        raise ValidationFailed(
            "The gift cards, store credit and points pay the whole order: check "
            "out without a card payment.",
            code="nothing_to_pay",
            extra={"tenders": ["They pay the whole order; no card is needed."]},
        )
    return card[0].amount
