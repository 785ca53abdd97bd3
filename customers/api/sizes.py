"""``/me/sizes/``: the sizes the signed-in customer takes per category, learned from
what they kept or stated by them, and their word on one."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from customers.selectors.identities import customer_for_user
from customers.selectors.sizes import LEARNED, STATED, customer_sizes
from customers.services.sizes import MAX_SIZE_LENGTH, state_size
from omnistore.core.api import ErrorSerializer, TextField

from .common import BAD_INPUT, CLIENT_CHANNEL, request_channel, validated

NO_PROFILE = OpenApiResponse(ErrorSerializer, description="The login has no profile.")


class SizeCategorySerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    parent = serializers.CharField(
        source="parent.name",
        default=None,
        allow_null=True,
        help_text="The category above it (Women, Men, Kids), if any.",
    )


class SizeSerializer(serializers.Serializer):
    category = SizeCategorySerializer()
    size = serializers.CharField(help_text="The size shown: stated, else learned.")
    source = serializers.ChoiceField(
        choices=[STATED, LEARNED],
        help_text="`stated`: the customer said so; `learned`: from what they kept.",
    )
    stated = serializers.CharField(help_text="What the customer said; empty if not.")
    learned = serializers.CharField(
        help_text="Learned from purchases kept (moved by returns as too small or too "
        "big); empty if nothing was bought in the category."
    )
    units_kept = serializers.IntegerField(help_text="Units kept in the category.")


class SizeUpdateSerializer(serializers.Serializer):
    category = serializers.SlugField(max_length=120, help_text="A category slug.")
    size = TextField(
        max_length=MAX_SIZE_LENGTH,
        allow_blank=True,
        trim_whitespace=True,
        help_text="The size taken in the category; empty to take it back.",
    )


class MeSizesView(APIView):
    def _sizes(self, customer):
        return Response(SizeSerializer(customer_sizes(customer), many=True).data)

    @extend_schema(
        summary="My sizes",
        description="Per category: the size stated, else the one learned from the "
        "purchases kept in any channel.",
        responses={200: SizeSerializer(many=True), 404: NO_PROFILE},
        tags=["me"],
    )
    def get(self, request):
        return self._sizes(customer_for_user(request.user))

    @extend_schema(
        summary="Confirm or correct my size in a category",
        description="The stated size shows before the learned one; an empty size "
        "takes it back. The change is on the timeline.",
        request=SizeUpdateSerializer,
        responses={200: SizeSerializer(many=True), 400: BAD_INPUT, 404: NO_PROFILE},
        tags=["me"],
        parameters=[CLIENT_CHANNEL],
    )
    def patch(self, request):
        customer = customer_for_user(request.user)
        data = validated(SizeUpdateSerializer, request)
        customer = state_size(
            customer=customer,
            category=data["category"],
            size=data["size"],
            actor=request.user,
            channel=request_channel(request),
        )
        return self._sizes(customer)
