"""``/me/addresses/``: the signed-in customer's saved delivery addresses, to pick one at
checkout (``address_id``) instead of typing it again.

Addresses are looked up among the signed-in customer's own (after merges, the
survivor's): another person's answers 404, as if it did not exist.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from customers.models import Address
from customers.selectors.addresses import customer_address, customer_addresses
from customers.selectors.identities import customer_for_user
from customers.services.addresses import (
    MAX_ADDRESSES,
    add_address,
    max_length,
    remove_address,
    update_address,
)
from omnistore.core.api import ErrorSerializer, InputSerializer, TextField

from .common import BAD_INPUT, CLIENT_CHANNEL, request_channel, validated

TAGS = ["me"]
NOT_FOUND = OpenApiResponse(
    ErrorSerializer, description="No such address among yours (or no profile)."
)
CONFLICT = OpenApiResponse(
    ErrorSerializer,
    description=(
        f"`too_many_addresses`: {MAX_ADDRESSES} addresses are saved already; "
        "`profile_erased`: the profile was erased."
    ),
)


def _text(field: str, *, required: bool = False, help_text: str = "") -> TextField:
    return TextField(
        max_length=max_length(field),
        required=required,
        allow_blank=not required,
        help_text=help_text,
    )


class SavedAddressInputSerializer(InputSerializer):
    """An address to save, held to checkout's rule for a typed one: each text kept
    on one line (line breaks and tabs become one space); one holding a control
    character or an invisible format character (a zero-width space, a byte order
    mark, a soft hyphen; the joiners and direction marks scripts need are kept) is
    a 400 on that field."""

    label = _text("label", help_text="Your name for it: Home, Office…")
    name = _text("name", help_text="Whom the parcel is for.")
    line1 = _text("line1", required=True)
    line2 = _text("line2")
    city = _text("city", required=True)
    postcode = _text("postcode", required=True)
    country = TextField(
        min_length=2,
        max_length=2,
        required=False,
        help_text="Two-letter country code (upper-cased); `IT` when left out. A "
        "country no market sells to (checkout would refuse the delivery) is a 400 "
        "on `country`.",
    )
    phone = _text("phone", help_text="A number the courier may call.")
    is_default = serializers.BooleanField(
        required=False,
        help_text="`true` makes it your only default address. The first address "
        "saved is the default; the default cannot be set to `false` (make another "
        "address the default instead).",
    )


class SavedAddressSerializer(serializers.ModelSerializer):
    class Meta:
        model = Address
        fields = [
            "id",
            "label",
            "name",
            "line1",
            "line2",
            "city",
            "postcode",
            "country",
            "phone",
            "is_default",
        ]
        read_only_fields = fields


class MyAddressesView(generics.ListAPIView):
    serializer_class = SavedAddressSerializer
    filter_backends: list = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Address.objects.none()
        return customer_addresses(customer_for_user(self.request.user))

    @extend_schema(
        summary="My saved addresses",
        description="The default address first, then the others in the order saved.",
        responses={200: SavedAddressSerializer(many=True), 404: NOT_FOUND},
        tags=TAGS,
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Save an address",
        description=(
            "`line1`, `city` and `postcode` are required. The first address is the "
            f"default. At most {MAX_ADDRESSES} (409 `too_many_addresses`). The change "
            "is on the timeline. The same address sent again (every field alike, a "
            "field left out counting as empty) saves nothing: the one saved is "
            "answered with 200 (made the default if `is_default` asks)."
        ),
        request=SavedAddressInputSerializer,
        responses={
            201: OpenApiResponse(SavedAddressSerializer, description="Saved."),
            200: OpenApiResponse(
                SavedAddressSerializer,
                description="The same address was saved already: that one.",
            ),
            400: BAD_INPUT,
            404: NOT_FOUND,
            409: CONFLICT,
        },
        tags=TAGS,
        parameters=[CLIENT_CHANNEL],
    )
    def post(self, request, *args, **kwargs):
        customer = customer_for_user(request.user)
        data = validated(SavedAddressInputSerializer, request)
        address = add_address(
            customer=customer,
            actor=request.user,
            channel=request_channel(request),
            **data,
        )
        saved = status.HTTP_200_OK if address.already_saved else status.HTTP_201_CREATED
        return Response(SavedAddressSerializer(address).data, status=saved)


class MyAddressView(APIView):
    @extend_schema(
        summary="One of my saved addresses",
        responses={200: SavedAddressSerializer, 404: NOT_FOUND},
        tags=TAGS,
    )
    def get(self, request, pk: int):
        address = customer_address(customer_for_user(request.user), pk)
        return Response(SavedAddressSerializer(address).data)

    @extend_schema(
        summary="Change a saved address",
        description=(
            "Only the fields sent change; `is_default: true` makes it the only "
            "default. Orders already placed keep the address they were placed with."
        ),
        request=SavedAddressInputSerializer(partial=True),
        responses={
            200: SavedAddressSerializer,
            400: BAD_INPUT,
            404: NOT_FOUND,
            409: CONFLICT,
        },
        tags=TAGS,
        parameters=[CLIENT_CHANNEL],
    )
    def patch(self, request, pk: int):
        customer = customer_for_user(request.user)
        data = validated(SavedAddressInputSerializer, request, partial=True)
        address = update_address(
            customer=customer,
            address_id=pk,
            actor=request.user,
            channel=request_channel(request),
            **data,
        )
        return Response(SavedAddressSerializer(address).data)

    @extend_schema(
        summary="Remove a saved address",
        description=(
            "When it was the default, the oldest address left becomes the default. "
            "Orders already placed keep the address they were placed with."
        ),
        responses={204: None, 404: NOT_FOUND, 409: CONFLICT},
        tags=TAGS,
        parameters=[CLIENT_CHANNEL],
    )
    def delete(self, request, pk: int):
        remove_address(
            customer=customer_for_user(request.user),
            address_id=pk,
            actor=request.user,
            channel=request_channel(request),
        )
        return Response(status=status.HTTP_204_NO_CONTENT)
