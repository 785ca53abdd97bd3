"""The signed-in customer's loyalty: tier, kept spend, progress to the next tier,
points and what they are worth; and the points ledger, a page at a time. Like every
``/me/`` view, nothing here takes a customer id."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from customers.models import LoyaltyTransaction
from customers.selectors.identities import customer_for_user
from customers.selectors.loyalty import loyalty_tiers, points_ledger
from omnistore.core.api import ErrorSerializer
from orders.selectors.loyalty import customer_standing
from orders.selectors.points import spendable_points

NO_PROFILE = OpenApiResponse(ErrorSerializer, description="The login has no profile.")


class TierOutput(serializers.Serializer):
    name = serializers.CharField()
    min_spend = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        help_text="Kept spend over the window that reaches this tier.",
    )
    multiplier = serializers.DecimalField(
        max_digits=7, decimal_places=3, help_text="Points earned are multiplied by it."
    )
    free_delivery = serializers.BooleanField()


class LoyaltyOutput(serializers.Serializer):
    tier = TierOutput()
    next_tier = TierOutput(allow_null=True, help_text="null at the top tier.")
    spend = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        help_text=(
            "Kept spend since `since` in every channel: orders less refunds, "
            "cancelled orders left out."
        ),
    )
    to_next_tier = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        allow_null=True,
        help_text="What is left to spend to reach `next_tier`.",
    )
    progress_percent = serializers.IntegerField(
        help_text="0 to 100: how far from this tier's minimum to the next one's."
    )
    since = serializers.DateTimeField(help_text="Start of the spend window.")
    points_balance = serializers.IntegerField()
    points_owed = serializers.IntegerField(
        help_text=(
            "Points taken back by a return or a cancel after they were spent: the "
            "next points earned or given back pay them first. Only while "
            "`points_balance` is 0."
        )
    )
    points_spendable = serializers.IntegerField(
        help_text=(
            "The points that can be spent now: the balance less the points of "
            "orders not handed over yet (those can be spent once they are). "
            "Checkout refuses more (`points_not_settled`)."
        )
    )
    points_value = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        help_text="What the points pay, in `currency`.",
    )
    currency = serializers.CharField(help_text="Currency of the amounts.")
    tiers = TierOutput(many=True, help_text="Every tier, lowest first.")


class PointsEntryOutput(serializers.ModelSerializer):
    class Meta:
        model = LoyaltyTransaction
        fields = [
            "id",
            "kind",
            "points",
            "owed",
            "reason",
            "reference_type",
            "reference_id",
            "created_at",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "owed": {
                "help_text": (
                    "Change to the points owed: positive when a return or a cancel "
                    "found that many of the points it took back spent already, "
                    "negative when points coming in paid that many of them."
                )
            }
        }


class MeLoyaltyView(APIView):
    @extend_schema(
        summary="My loyalty tier and points",
        description=(
            "The tier reached by the kept spend of the last months (orders less "
            "refunds, every channel), its benefits, the progress to the next tier, "
            "the points balance with what it pays and how much of it can be "
            "spent now, and the points owed."
        ),
        responses={200: LoyaltyOutput, 404: NO_PROFILE},
        tags=["me"],
    )
    def get(self, request):
        customer = customer_for_user(request.user)
        standing = customer_standing(customer)
        data = {
            **standing.__dict__,
            "points_owed": customer.points_owed,
            "points_spendable": spendable_points(customer).now,
            "tiers": loyalty_tiers(),
        }
        return Response(LoyaltyOutput(data).data)


class MeLoyaltyPointsView(generics.ListAPIView):
    serializer_class = PointsEntryOutput
    filter_backends: list = []

    @extend_schema(
        summary="My points ledger",
        description=(
            "Points earned, spent, given back and taken back, newest first; `owed` "
            "says how many a line added to the points owed, or paid of them."
        ),
        responses={200: PointsEntryOutput(many=True), 404: NO_PROFILE},
        tags=["me"],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return LoyaltyTransaction.objects.none()
        return points_ledger(customer_for_user(self.request.user))
