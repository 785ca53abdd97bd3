"""The signed-in customer's store credit: the balance and what of it expires next.
Like every ``/me/`` view, nothing here takes a customer id."""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from customers.selectors.identities import customer_for_user
from orders.selectors.credit import next_store_credit_expiry

from .loyalty import NO_PROFILE


class StoreCreditExpiryOutput(serializers.Serializer):
    amount = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        help_text="What is left of the credit expiring first, as things stand.",
    )
    currency = serializers.CharField()
    expires_at = serializers.DateTimeField(help_text="When that amount expires.")


class StoreCreditOutput(serializers.Serializer):
    balance = serializers.DecimalField(max_digits=12, decimal_places=2)
    currency = serializers.CharField(help_text="Currency of the amounts.")
    next_expiry = StoreCreditExpiryOutput(
        allow_null=True,
        help_text=(
            "The next store credit to expire; null when none will (no balance, or "
            "credit that never expires). Spending uses the credit expiring first."
        ),
    )


class MeStoreCreditView(APIView):
    @extend_schema(
        summary="My store credit",
        description=(
            "The store credit balance, usable online and in every shop, and the next "
            "amount to expire with its date."
        ),
        responses={200: StoreCreditOutput, 404: NO_PROFILE},
        tags=["me"],
    )
    def get(self, request):
        customer = customer_for_user(request.user)
        expiry = next_store_credit_expiry(customer)
        data = {
            "balance": customer.store_credit_balance,
            "currency": expiry.currency if expiry else settings.OMNISTORE_CURRENCY,
            "next_expiry": expiry,
        }
        return Response(StoreCreditOutput(data).data)
