"""A gift card's balance, asked with its number and PIN.

Rate-limited per caller (the ``gift_card`` throttle rate) on top of the wrong-PIN
count per card and per caller kept by ``orders.services.giftcard_pins``: numbers
cannot be tried in bulk, and a card whose PIN is guessed at is locked for a while.
"""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from customers.api.common import CLIENT_CHANNEL, request_channel
from omnistore.core.api import UNAVAILABLE, InputSerializer, TextField
from omnistore.core.throttling import GuardThrottle
from orders.models import PaymentMethod
from orders.selectors.giftcards import CARD_STATUS_LABELS, gift_card_status
from orders.services.egift import EGiftPurchase, purchase_e_gift_card
from orders.services.giftcards import gift_card_balance
from orders.services.payment_intents import purchase_of, storefront_payment

from .checkout import (
    GIVEN_BACK,
    IDEMPOTENCY_KEY,
    IDEMPOTENT_REPLAYED,
    REPLAYED,
    giving_back,
    purchase_reference,
)
from .common import ERRORS, caller_ident, request_customer


class GiftCardRateThrottle(GuardThrottle):
    """Balance checks per caller (signed-in user, else the address)."""

    scope = "gift_card"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": caller_ident(request)}


class BalanceInput(InputSerializer):
    number = TextField(max_length=32, help_text="The card's number (digits).")
    pin = TextField(max_length=8, help_text="The PIN under the scratch strip.")


class BalanceOutput(serializers.Serializer):
    number = serializers.CharField(help_text="The number, all but the last 4 hidden.")
    balance = serializers.DecimalField(max_digits=12, decimal_places=2)
    currency = serializers.CharField()
    expires_at = serializers.DateTimeField()
    status = serializers.ChoiceField(
        choices=list(CARD_STATUS_LABELS),
        help_text="What the card is now: `active`, `void`, or `expired` once past "
        "its date (before and after what was left on it is booked as expired).",
    )


class GiftCardBalanceView(APIView):
    permission_classes = [AllowAny]
    throttle_classes = [GiftCardRateThrottle]

    @extend_schema(
        operation_id="gift_card_balance",
        request=BalanceInput,
        responses={
            200: BalanceOutput,
            400: OpenApiResponse(
                description="Wrong number or PIN (`gift_card_invalid`), or the card "
                "locked after too many wrong PINs (`gift_card_locked`): until its "
                "time is up, or a shop selling in its currency unlocks it with the "
                "holder, the card and its PIN"
            ),
            429: OpenApiResponse(
                description="Too many balance checks from here, or too many wrong "
                "numbers or PINs tried from here (`too_many_attempts`, whatever "
                "the card: not a lock of the card)"
            ),
            503: UNAVAILABLE,
        },
    )
    def post(self, request):
        """The balance on a gift card."""
        data = BalanceInput(data=request.data)
        data.is_valid(raise_exception=True)
        card = gift_card_balance(
            number=data.validated_data["number"],
            pin=data.validated_data["pin"],
            caller=caller_ident(request),
        )
        return Response(gift_card_summary(card))


_WHEN = serializers.DateTimeField()  # in the project's time zone, as elsewhere


def gift_card_summary(card) -> dict:
    return {
        "number": card.masked_number,
        "balance": f"{card.balance:.2f}",
        "currency": card.currency,
        "expires_at": _WHEN.to_representation(card.expires_at),
        "status": gift_card_status(card),
    }


class EGiftPaymentInput(InputSerializer):
    method = serializers.ChoiceField(
        choices=[PaymentMethod.CARD_ONLINE, PaymentMethod.MOBILE_WALLET],
        default=PaymentMethod.CARD_ONLINE,
    )
    token = TextField(
        max_length=200,
        allow_blank=True,
        default="",
        help_text="The payment confirmed with the provider: the `id` of `POST "
        "/checkout/payment-intent/` sent with `gift_card` (the card's amount and "
        "country). Required: without it, a 400 `payment_token_required`.",
    )
    reference = purchase_reference()


class EGiftCardInput(InputSerializer):
    amount = serializers.DecimalField(
        max_digits=10,
        decimal_places=2,
        min_value=settings.OMNISTORE_GIFT_CARD_MIN_AMOUNT,
        help_text="The card's value, from OMNISTORE_GIFT_CARD_MIN_AMOUNT (5.00) to "
        "OMNISTORE_GIFT_CARD_MAX_AMOUNT (1000.00).",
    )
    country = TextField(
        min_length=2,
        max_length=2,
        help_text="The buyer's country: its market's currency is the card's.",
    )


class EGiftPurchaseInput(EGiftCardInput):
    recipient_name = TextField(max_length=100)
    sender_name = TextField(
        max_length=100,
        required=False,
        allow_blank=True,
        default="",
        help_text="Who gives the card, as the recipient's email names them (a "
        "signed-in buyer who gives none is named by their first name).",
    )
    recipient_email = serializers.EmailField(max_length=254)
    message = TextField(max_length=500, required=False, allow_blank=True, default="")
    send_on = serializers.DateField(
        help_text="When the card is emailed: today up to a year ahead."
    )
    email = serializers.EmailField(
        max_length=254,
        required=False,
        allow_blank=True,
        default="",
        help_text="The buyer's email for the confirmation (a guest must give it).",
    )
    payment = EGiftPaymentInput()

    def validate(self, data):
        user = self.context.get("user")
        if (user is None or not user.is_authenticated) and not data.get("email"):
            raise serializers.ValidationError(
                {"email": ["Give an email address for the confirmation."]}
            )
        return data


class EGiftPurchaseOutput(serializers.Serializer):
    order = serializers.CharField(help_text="The order number (the confirmation).")
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    currency = serializers.CharField()
    card = serializers.CharField(help_text="The card's number, all but 4 hidden.")
    recipient_email = serializers.EmailField()
    send_on = serializers.DateField()


class EGiftPurchaseView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="gift_card_purchase",
        request=EGiftPurchaseInput,
        parameters=[CLIENT_CHANNEL, IDEMPOTENCY_KEY, IDEMPOTENT_REPLAYED],
        responses={
            201: EGiftPurchaseOutput,
            200: OpenApiResponse(EGiftPurchaseOutput, description=REPLAYED),
            400: ERRORS[400],
            402: OpenApiResponse(description="Payment declined." + GIVEN_BACK),
            409: OpenApiResponse(
                description="The key paid another order." + GIVEN_BACK
            ),
        },
    )
    def post(self, request):
        """Buy an e-gift card, emailed to its recipient on the send date. A card
        pays with the intent `POST /checkout/payment-intent/` made for it (sent with
        `gift_card`): its `id` as `payment.token`, its `reference` as
        `payment.reference`."""
        data = EGiftPurchaseInput(data=request.data, context={"user": request.user})
        data.is_valid(raise_exception=True)
        data = data.validated_data
        customer = request_customer(request)
        reference = data["payment"]["reference"]
        payment = storefront_payment(
            method=data["payment"]["method"],
            token=data["payment"]["token"],
            reference=reference,
            channel=None,  # as the purchase charges it: the configured provider
        )
        with giving_back(
            payment=payment,
            customer=customer,
            channel=None,
            belongs=purchase_of(reference),
            what="e-gift card purchase",
        ):
            order = purchase_e_gift_card(
                purchase=EGiftPurchase(
                    amount=data["amount"],
                    country=data["country"],
                    recipient_name=data["recipient_name"],
                    sender_name=data["sender_name"],
                    recipient_email=data["recipient_email"],
                    message=data["message"],
                    send_on=data["send_on"],
                    email=data["email"],
                    payment=payment,
                ),
                customer=customer,
                channel=request_channel(request),
                idempotency_key=request.headers.get("Idempotency-Key", "").strip(),
            )
        card = order.gift_cards_sold.all()[0]
        replayed = order.idempotent_replay
        response = Response(
            {
                "order": order.number,
                "amount": f"{card.initial_amount:.2f}",
                "currency": card.currency,
                "card": card.masked_number,
                "recipient_email": card.recipient_email,
                "send_on": card.send_on.isoformat(),
            },
            status=status.HTTP_200_OK if replayed else status.HTTP_201_CREATED,
        )
        if replayed:
            response["Idempotent-Replayed"] = "true"
        return response
