"""Payment providers calling us: Stripe's webhook.

Stripe signs every delivery; an unsigned, wrongly signed or stale one is refused with
400 and changes nothing, and so is a signed body that is not an event (not a JSON
object with an id and a type, or a payment intent event without its intent). A
verified event is handled once, however often it comes.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from orders.payments.stripe import StripePaymentProvider
from orders.services.payment_webhooks import process_stripe_event


class StripeWebhookView(APIView):
    # Stripe authenticates by signature, not by session or token (no CSRF either).
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []

    @extend_schema(
        operation_id="stripe_webhook",
        request=OpenApiTypes.OBJECT,
        responses={
            200: OpenApiResponse(
                OpenApiTypes.OBJECT, description="Handled, or already handled"
            ),
            400: OpenApiResponse(
                description="{message, code, extra}: not signed by Stripe "
                "(`bad_signature`), or not an event about a payment "
                "(`not_an_event`, `not_a_payment_intent`)"
            ),
        },
    )
    def post(self, request):
        """An event from Stripe, verified with ``Stripe-Signature``."""
        event = StripePaymentProvider.verify_webhook(
            request.body, request.headers.get("Stripe-Signature", "")
        )
        outcome = process_stripe_event(event)
        return Response({"received": True, "outcome": outcome})
