"""The storefront's payment, started before checkout: a PaymentIntent for the cart.

The amount and currency come from the checkout's own pricing (``prepare_checkout``:
the cart's lines, the discount code, where the order goes), never from the browser.
A pickup, or a parcel a shop sends, is only authorised (``capture_method`` manual)
and captured at handover or shipment, as checkout does (``captures_at_checkout``).
The intent names its cart: checkout takes it for that cart only, and only when the
provider confirms its amount, currency and status.

The provider's idempotency key names the cart, the amount and the capture method
(and the client's ``Idempotency-Key`` when sent): asking again for an unchanged
cart answers the same intent, a changed cart gets a new one.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone

from customers.models import Customer
from omnistore.core.exceptions import ValidationFailed
from orders.models import PaymentMethod
from orders.payments.base import IntentResult
from orders.payments.registry import get_provider

from .checkout import CheckoutRequest, LineRequest, prepare_checkout
from .payments import PaymentRequest, captures_at_checkout
from .placing import cart_reference
from .storefront import cart_to_check_out, refuse_empty_cart


def start_cart_payment(
    *, customer: Customer | None, token: str, checkout: CheckoutRequest
) -> IntentResult:
    """A payment intent for the cart of the signed-in ``customer`` (or of ``token``)
    as it would check out now; refused for an empty or converted cart and for an
    order that costs nothing."""
    cart, lines = cart_to_check_out(customer=customer, token=token)
    if not lines:
        refuse_empty_cart(cart)
    # The client's key is checked as a checkout checks it (at most 100 characters)
    # and goes into the intent's own key below.
    priced = prepare_checkout(
        lines=[LineRequest(line.variant, line.quantity) for line in lines],
        customer=customer,
        payments=[PaymentRequest(method=PaymentMethod.CARD_ONLINE)],
        cart=cart,
        now=timezone.now(),
        **checkout.arguments(),
    )
    if priced.total <= 0:
        raise ValidationFailed(
            "The order costs nothing: check out without a payment.",
            code="nothing_to_pay",
        )
    capture = captures_at_checkout(
        checkout.fulfilment, (leg.location for leg in priced.legs)
    )
    currency = priced.currency or settings.OMNISTORE_CURRENCY  # the sale's market
    reference = cart_reference(cart)
    key = ":".join(
        part
        for part in (
            reference,
            f"{priced.total}{currency}",
            "automatic" if capture else "manual",
            priced.idempotency_key,
        )
        if part
    )
    return get_provider().create_intent(
        amount=priced.total,
        currency=currency,
        capture=capture,
        idempotency_key=key,
        cart_reference=reference,
    )
