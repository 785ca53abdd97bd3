"""The signed-in customer sends their order somewhere else before it is picked."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from omnistore.core.api import ErrorSerializer, InputSerializer, TextField
from orders.selectors.orders import order_by_id, order_detail
from orders.services.delivery_address import change_delivery_address

from .checkout import AddressInput
from .common import ERRORS, request_customer
from .orders import OrderDetailOutput


class AddressChangeInput(InputSerializer):
    address = AddressInput(
        help_text="The whole new address, as checkout takes it (the fields left out "
        "are emptied); `country` must stay the order's."
    )
    reason = TextField(
        max_length=200,
        required=False,
        allow_blank=True,
        help_text="Why, for the order's history.",
    )


class OrderAddressView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="order_change_address",
        request=AddressChangeInput,
        responses={
            200: OrderDetailOutput,
            400: OpenApiResponse(
                ErrorSerializer,
                description="Field errors under `extra.address` (a required field "
                "missing, one too long, one holding a control or invisible "
                "character, `address` not an object); nothing changed",
            ),
            404: OpenApiResponse(
                ErrorSerializer,
                description="No order of yours has this number (`not_found`), or "
                "the login is a staff login (`staff_login`)",
            ),
            409: OpenApiResponse(
                ErrorSerializer,
                description="Nothing changed: the order is cancelled "
                "(`order_cancelled`); nothing is left to deliver, every parcel "
                "having left or the order being collected at a shop "
                "(`no_delivery_to_change`); the address is in another country than "
                "the order's, whose prices, delivery fee and VAT it was sold at: "
                "cancel and order again (`delivery_country_changed`, `extra.country` "
                "the order's); or the order is picked already: the shop changes it "
                "(`address_change_too_late`)",
            ),
            503: ERRORS[503],
        },
    )
    def post(self, request, number: str):
        """Send an order that has not been picked yet to another address in the
        same country: the parts that have not left go there, the order's history
        says what changed and the customer is emailed. The same address again
        changes nothing (200, no history line), new coordinates alone included;
        the same street sent without coordinates keeps the ones it had."""
        data = AddressChangeInput(data=request.data)
        data.is_valid(raise_exception=True)
        order = order_detail(number=number, customer=request_customer(request))
        change_delivery_address(
            order=order,
            address=data.validated_data["address"],
            actor=request.user,
            by_customer=True,
            reason=data.validated_data.get("reason", ""),
        )
        return Response(OrderDetailOutput(order_by_id(order.pk)).data)
