"""The storefront starts its payment: a PaymentIntent for the cart (or for the lines of
a buy now, or for an e-gift card), confirmed by the browser with the provider, then
sent to checkout as the payment's token."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
)
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from customers.api.common import CLIENT_CHANNEL
from omnistore.core.api import InputSerializer
from omnistore.core.exceptions import ValidationFailed
from orders.services.checkout import LineRequest
from orders.services.payment_intents import (
    start_buy_now_payment,
    start_cart_payment,
    start_e_gift_payment,
)

from .carts import CartLineInput
from .checkout import (
    CheckoutInput,
    TenderInput,
    checkout_request,
    saved_address_named,
)
from .common import CART_TOKEN, ERRORS, caller_ident, cart_token, request_customer
from .giftcards import EGiftCardInput

# A cart's intent is asked again safely; a buy now's or an e-gift card's is new each
# time, with a reference of its own.
INTENT_KEY = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description=(
        "For a cart's payment: the same key with the same cart answers the same "
        "intent (asked again for an unchanged cart, it does anyway). A buy now's or "
        "an e-gift card's call makes a new intent with a new `reference` each time, "
        "whatever the key: use the reference answered with the intent the buyer "
        "confirms. At most 100 characters."
    ),
)


class PaymentIntentInput(CheckoutInput):
    """What checkout will be asked, without the payment: the amount is priced the
    same way, and is what the `tenders` (sent again with the checkout) leave. With
    `lines`, what buy now will be asked instead: the cart is left alone."""

    payment = None
    lines = CartLineInput(
        many=True,
        required=False,
        min_length=1,
        max_length=50,
        help_text="Buy now: the items `POST /checkout/buy-now/` will buy, priced as "
        "it prices them (the cart is neither read nor changed). The answer's "
        "`reference` goes with buy now's `payment`.",
    )


# What a checkout's or a buy now's intent is asked with: never with a gift card.
CHECKOUT_FIELDS = frozenset(CheckoutInput._declared_fields) | frozenset(
    PaymentIntentInput._declared_fields
)


class EGiftPaymentIntentInput(InputSerializer):
    gift_card = EGiftCardInput(
        help_text="An e-gift card (`POST /gift-cards/purchase/`): its amount, in the "
        "currency of the buyer's country's market, paid at once. The answer's "
        "`reference` goes with the purchase's `payment`. Sent alone: with any field "
        "of a checkout's or a buy now's intent (`lines`, `fulfilment`, `store`, "
        "`address`, `tenders`, ...), a 400 on `gift_card`."
    )

    def to_internal_value(self, data):
        """A gift card with a checkout's fields would price one and drop the other:
        refused, naming them, before anything is priced."""
        mixed = sorted(CHECKOUT_FIELDS.intersection(data))
        if mixed:
            named = ", ".join(f"`{name}`" for name in mixed)
            raise serializers.ValidationError(
                {
                    "gift_card": [
                        "An e-gift card is paid on its own: send it without "
                        f"{named}, or those without `gift_card`."
                    ]
                }
            )
        return super().to_internal_value(data)


class PaymentIntentOutput(serializers.Serializer):
    id = serializers.CharField(help_text="Send it to checkout as `payment.token`.")
    client_secret = serializers.CharField(
        help_text="For the browser to confirm the payment with the provider."
    )
    provider = serializers.CharField()
    amount = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        help_text="The card's share: the total less what the `tenders` pay.",
    )
    currency = serializers.CharField()
    capture_method = serializers.ChoiceField(
        choices=["automatic", "manual"],
        help_text="`manual`: only authorised now, captured at pickup or shipment.",
    )
    reference = serializers.CharField(
        help_text="A buy now's or an e-gift card's: send it back as "
        "`payment.reference` with the purchase, which takes only the intent made "
        "with it. Answered here only, once: keep it with the `id`. Empty for a "
        "cart's payment (the cart names it)."
    )


class PaymentIntentView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="checkout_payment_intent",
        request=PolymorphicProxySerializer(
            component_name="PaymentIntent",
            serializers=[PaymentIntentInput, EGiftPaymentIntentInput],
            resource_type_field_name=None,
        ),
        parameters=[CART_TOKEN, CLIENT_CHANNEL, INTENT_KEY],
        responses={
            201: PaymentIntentOutput,
            **ERRORS,
            503: OpenApiResponse(description="The payment provider did not answer"),
        },
    )
    def post(self, request):
        """Start paying for the cart: the amount is the checkout's own total less
        what the `tenders` pay (400 `nothing_to_pay` when they pay it all; a tender
        checkout would refuse is refused here with checkout's code, before any card is
        held); send the same tenders to checkout with the intent's id. With `lines`,
        for a buy now of them instead (priced as buy now prices them); with
        `gift_card` alone, for an e-gift card (with any of the checkout's fields
        too, a 400 on `gift_card`). Each of these two starts a new intent
        with a `reference` of its own, which the purchase sends back; a cart's
        payment is asked again for an unchanged cart and answers the same intent."""
        if isinstance(request.data, dict) and "gift_card" in request.data:
            intent = _e_gift_intent(request)
        else:
            intent = _checkout_intent(request)
        return Response(
            PaymentIntentOutput(intent).data, status=status.HTTP_201_CREATED
        )


def _checkout_intent(request):
    data = PaymentIntentInput(data=request.data, context={"user": request.user})
    data.is_valid(raise_exception=True)
    asked = data.validated_data
    common = {
        "customer": request_customer(request),
        "checkout": checkout_request(request, asked),
        "tenders": [TenderInput.request(t) for t in asked.get("tenders", [])],
        "caller": caller_ident(request),
    }
    with saved_address_named(asked):
        if "lines" in asked:
            return start_buy_now_payment(
                lines=[
                    LineRequest(line["variant"], line["quantity"])
                    for line in asked["lines"]
                ],
                **common,
            )
        return start_cart_payment(token=cart_token(request), **common)


def _e_gift_intent(request):
    data = EGiftPaymentIntentInput(data=request.data)
    data.is_valid(raise_exception=True)
    card = data.validated_data["gift_card"]
    try:
        return start_e_gift_payment(amount=card["amount"], country=card["country"])
    except ValidationFailed as refused:  # its fields are the card's, in the body
        refused.extra = {"gift_card": refused.extra}
        raise
