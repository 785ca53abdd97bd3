"""A gift card's balance, asked with its number and PIN.

Rate-limited per caller (the ``gift_card`` throttle rate) on top of the wrong-PIN
count per card and per caller kept by ``orders.services.giftcards``: numbers cannot
be tried in bulk, and a card whose PIN is guessed at is locked for a while.
"""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from omnistore.core.api import InputSerializer, TextField
from orders.services.giftcards import gift_card_balance

from .common import caller_ident


class GiftCardRateThrottle(SimpleRateThrottle):
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
    status = serializers.CharField(help_text="`active`, `void` or `expired`.")


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
                "locked after too many wrong PINs (`gift_card_locked`)"
            ),
            429: OpenApiResponse(description="Too many balance checks from here"),
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


def gift_card_summary(card) -> dict:
    status = card.status
    if status == "active" and card.expires_at <= timezone.now():
        status = "expired"
    return {
        "number": card.masked_number,
        "balance": f"{card.balance:.2f}",
        "currency": card.currency,
        "expires_at": card.expires_at.isoformat(),
        "status": status,
    }
