"""The storefront starts its payment: a PaymentIntent for the cart, confirmed by the
browser with the provider, then sent to checkout as the payment's token."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from customers.api.common import CLIENT_CHANNEL
from orders.services.payment_intents import start_cart_payment

from .checkout import (
    IDEMPOTENCY_KEY,
    CheckoutInput,
    TenderInput,
    checkout_request,
    saved_address_named,
)
from .common import CART_TOKEN, ERRORS, caller_ident, cart_token, request_customer


class PaymentIntentInput(CheckoutInput):
    """What checkout will be asked, without the payment: the amount is priced the
    same way, and is what the `tenders` (sent again with the checkout) leave."""

    payment = None


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


class PaymentIntentView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="checkout_payment_intent",
        request=PaymentIntentInput,
        parameters=[CART_TOKEN, CLIENT_CHANNEL, IDEMPOTENCY_KEY],
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
        held); send the same tenders to checkout with the intent's id."""
        data = PaymentIntentInput(data=request.data, context={"user": request.user})
        data.is_valid(raise_exception=True)
        with saved_address_named(data.validated_data):
            intent = start_cart_payment(
                customer=request_customer(request),
                token=cart_token(request),
                checkout=checkout_request(request, data.validated_data),
                tenders=[
                    TenderInput.request(t)
                    for t in data.validated_data.get("tenders", [])
                ],
                caller=caller_ident(request),
            )
        return Response(
            PaymentIntentOutput(intent).data, status=status.HTTP_201_CREATED
        )
