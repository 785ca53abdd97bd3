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
from inventory.models import Location
from omnistore.core.exceptions import ValidationFailed
from orders.models import PaymentMethod
from orders.payments.base import IntentResult
from orders.payments.registry import get_provider

from .checkout import LineRequest, prepare_checkout
from .payments import PaymentRequest, captures_at_checkout
from .placing import cart_reference
from .storefront import cart_to_check_out, refuse_empty_cart


def start_cart_payment(
    *,
    customer: Customer | None,
    token: str,
    channel: str,
    fulfilment: str,
    pickup_store: Location | int | None = None,
    address: dict | None = None,
    email: str = "",
    phone: str = "",
    first_name: str = "",
    last_name: str = "",
    discount_code: str = "",
    idempotency_key: str = "",
) -> IntentResult:
    """A payment intent for the cart of the signed-in ``customer`` (or of ``token``)
    as it would check out now; refused for an empty or converted cart and for an
    order that costs nothing."""
    cart, lines = cart_to_check_out(customer=customer, token=token)
    if not lines:
        refuse_empty_cart(cart)
    checkout = prepare_checkout(
        lines=[LineRequest(line.variant, line.quantity) for line in lines],
        channel=channel,
        fulfilment=fulfilment,
        pickup_store=pickup_store,
        address=address,
        customer=customer,
        email=email,
        phone=phone,
        first_name=first_name,
        last_name=last_name,
        payments=[PaymentRequest(method=PaymentMethod.CARD_ONLINE)],
        discount_code=discount_code,
        cart=cart,
        now=timezone.now(),
    )
    if checkout.total <= 0:
        raise ValidationFailed(
            "The order costs nothing: check out without a payment.",
            code="nothing_to_pay",
        )
    capture = captures_at_checkout(fulfilment, (leg.location for leg in checkout.legs))
    currency = settings.OMNISTORE_CURRENCY
    reference = cart_reference(cart)
    key = ":".join(
        part
        for part in (
            reference,
            f"{checkout.total}{currency}",
            "automatic" if capture else "manual",
            (idempotency_key or "").strip()[:100],
        )
        if part
    )
    return get_provider().create_intent(
        amount=checkout.total,
        currency=currency,
        capture=capture,
        idempotency_key=key,
        cart_reference=reference,
    )
